"""A hostile corpus: files a careless or malicious author could write. Each one is
refused with a ``file:line: message`` (or loads as meant), nothing crashes, and a
refused file publishes nothing."""

from __future__ import annotations

import os
import re

import pytest
import yaml
from sqlalchemy import select

from tests.foi_fixtures import meta, write
from webapp.extensions import db
from webapp.foi.content import load_file, parse
from webapp.foi.documents import ResponseDocument
from webapp.foi.models import FoiAttachment, FoiResponse

LINE = re.compile(r"^foi/[^:]+:\d+: ")


def front(**changes) -> str:
    return "---\n" + yaml.safe_dump(meta(**changes), sort_keys=False, allow_unicode=True) + "---\nDecision.\n"


def run_import(app, runner, folder):
    result = runner.invoke(args=["foi", "import", str(folder)])
    assert "Traceback" not in result.output
    with app.app_context():
        refs = set(db.session.scalars(select(FoiResponse.reference).where(FoiResponse.is_published.is_(True))))
        files = {row.data for row in db.session.scalars(select(FoiAttachment))}
    return result, refs, files


@pytest.mark.parametrize("file_name", [
    "../secret.txt", "attachments/../../secret.txt", "/etc/passwd", "attachments//x.txt", "./attachments/x.txt",
    "attachments\\..\\x.txt", "attachments/x.txt\x00.csv", "~/x.txt", "attachments/ x.txt", "attachments/.hidden.txt",
    "attachments/x.txt/", "%2e%2e/secret.txt", "attachments/ｘ.txt", "C:\\secret.txt", "file:///etc/passwd",
])
def test_attachment_paths_that_leave_the_folder_or_are_odd_are_refused(app, runner, tmp_path, file_name):
    (tmp_path / "secret.txt").write_text("SECRET")
    folder = tmp_path / "foi"
    (folder / "attachments").mkdir(parents=True)
    (folder / "attachments" / "x.txt").write_text("fine")
    write(folder, "a.md", meta(attachments=[{"title": "T", "file": file_name, "type": "TXT"}]))
    result, refs, files = run_import(app, runner, folder)
    assert result.exit_code == 1, result.output
    assert all(LINE.match(line) for line in result.stderr.strip().splitlines()), result.stderr
    assert "attachments[1].file" in result.stderr
    assert refs == set() and b"SECRET" not in files


def test_a_folder_named_like_a_response_file_and_one_named_like_an_attachment(app, runner, tmp_path):
    folder = tmp_path / "foi"
    (folder / "looks-like.md").mkdir(parents=True)
    write(folder / "looks-like.md", "inner.md", meta(reference="INNER-1"))
    (folder / "attachments" / "x.txt").mkdir(parents=True)
    write(folder, "a.md", meta(attachments=[{"title": "T", "file": "attachments/x.txt", "type": "TXT"}]))
    result, refs, _ = run_import(app, runner, folder)
    assert "foi/a.md:" in result.stderr and "attachments/x.txt is a folder, not a file" in result.stderr
    assert refs == {"INNER-1"}


def test_a_response_file_that_is_a_link_or_a_pipe_is_refused_without_waiting(app, runner, tmp_path):
    folder = tmp_path / "foi"
    folder.mkdir()
    (tmp_path / "elsewhere.md").write_text(front(reference="ELSEWHERE-1"), "utf-8")
    os.symlink(tmp_path / "elsewhere.md", folder / "linked.md")
    os.mkfifo(folder / "pipe.md")
    write(folder, "good.md", meta())
    result, refs, _ = run_import(app, runner, folder)
    assert result.exit_code == 1
    assert sorted(result.stderr.strip().splitlines()) == [
        "foi/linked.md:1: file: is a symbolic link: attach the file itself (a link could publish any file on the server)",
        "foi/pipe.md:1: file: is a named pipe, not a regular file",
    ]
    assert refs == {"TEST-0001"}


@pytest.mark.parametrize("raw, expected", [
    (b"\xef\xbb\xbf" + front().encode(), "loads"),                               # a byte order mark
    (front().replace("\n", "\r\n").encode(), "loads"),                           # Windows line endings
    (front().encode().replace(b"Fictional", b"Fictional \xff\xfe"), ":3: file: is not UTF-8 text"),
    (front().encode().replace(b"Decision.", b"Decision. " + b"x" * 300_000), "loads"),   # one huge line
    (front().encode() + b"\n" * 2_000_000, ":1: file: is larger than 1 MB"),
    (front().encode().replace(b"title: Fictional", b"title: Fictional\x00"), ":3: text: contains the character U+0000"),
    (front().encode().replace(b"reference: TEST-0001", b"reference: TEST-0001\nreference: TEST-0009"),
     ":3: reference: is given twice (first on line 2)"),
    (front().encode().replace(b"reference: TEST-0001", "reference: ТEST-0001".encode()),   # Cyrillic Т
     ":2: reference: must be letters, digits"),
    (front().encode().replace(b"reference: TEST-0001", "reference: TEST-０００1".encode()),  # full-width digits
     ":2: reference: must be letters, digits"),
    (front().encode().replace(b"reference: TEST-0001", b"reference: TEST-0001\n"), "loads"),
    (front().encode().replace(b"published: '2024-03-01'", b"published: 2024-03-01"), "loads"),
    (front().encode().replace(b"published: '2024-03-01'", b"published: 20240301"), ":5: published: must be a real date"),
    (front().encode().replace(b"published: '2024-03-01'", b"published: !!timestamp 2024-02-30"), ":5: published: '2024-02-30' is not a real date"),
    (front().encode().replace(b"published: '2024-03-01'", b"published: [2024, 3, 1]"), ":5: published: must be a real date"),
    (front().encode().replace(b"title: Fictional test response about lighthouses", b"title: {a: {b: {c: {d: {e: {f: {g: {h: {i: 1}}}}}}}}}"),
     ":3: front matter: is nested more than 8 levels deep"),
    (front().encode().replace(b"title: Fictional test response about lighthouses", b"title: &x Fictional\nsummary: *x"),
     ":3: front matter: uses a YAML anchor or alias"),
    # a merge key without an alias is plain YAML
    (front().encode().replace(b"title: Fictional test response about lighthouses", b"<<: {title: merged}"), "loads"),
    (front().encode().replace(b"title: Fictional test response about lighthouses", b"title: !!binary aGVsbG8="), ":3: title: must be text"),
    (front().encode().replace(b"published: '2024-03-01'", b"published: 0000-02-30"),
     ":5: published: '0000-02-30' is not a real date: the year 0 is too early"),
    (front().encode().replace(b"published: '2024-03-01'", b"published: 9999-12-31 23:59:59"), ":5: published: 9999-12-31 is in the future"),
    (front().encode().replace(b"reference: TEST-0001", b'reference: TEST-0001\n"\\e[31m\\x9b": 1'), ":3: ?[31m?: is not a known field"),
    (b"---\n---\n", ":1: front matter: the file must start"),
    (b"---\n\n---\nBody", ":2: front matter: must be a YAML mapping"),
    (b"", ":1: front matter: the file must start"),
    (b"---\r\rtitle: x\r---\r", ":1: front matter: the file must start"),
    (front().encode().replace(b"Decision.", b"<!--"), ":"),
    (front().encode().replace(b"Decision.", b"<!-- everything is a note -->"), "body: the Markdown after the front matter must state the decision"),
    (front().encode().replace(b"Decision.", "Decision with \u2028 line separator and \u202e bidi override.".encode()), "loads"),
    (front().encode().replace(b"Decision.", b"[x](javascript:alert(1)) <script>alert(1)</script>"), "loads"),
])
def test_hostile_bytes(tmp_path, raw, expected):
    path = tmp_path / "foi" / "x.md"
    path.parent.mkdir()
    path.write_bytes(raw)
    result = load_file(path, display="foi/x.md")
    if expected == "loads":
        assert isinstance(result, ResponseDocument), [str(p) for p in result]
        assert "<script" not in result.decision_html and 'href="javascript' not in result.decision_html.lower()
        return
    assert isinstance(result, list), result
    lines = [str(p) for p in result]
    assert all(LINE.match(line) for line in lines), lines
    assert any(line.startswith("foi/x.md" + expected) or expected in line for line in lines), lines


@pytest.mark.parametrize("body", [
    "![](chart.png)",
    "Text ![a chart](https://example.org/chart.png) more text",
    "[![badge](b.png)](https://example.org)",
    "![ref image][img]\n\n[img]: x.png",
])
def test_every_kind_of_image_is_refused_with_its_line(body):
    found = parse(front().replace("Decision.", "Decision.\n\n" + body), source="x.md")
    assert isinstance(found, list) and any("an image" in p.message and p.field == "body" for p in found)


def test_an_image_inside_an_answer_names_the_answer():
    found = parse(front(answers=[{"questions": [1, 2], "text": "Costs:\n\n![chart](c.png)\n"}]), source="x.md")
    assert [p.field for p in found] == ["answers[1].text"] and found[0].line > 1
