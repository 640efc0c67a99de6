"""Publishing is safe: no import can publish a server file, unpublish another folder's
responses, crash, or publish what the author did not mean. One test (or more) per class
of failure; the hostile corpus (test_foi_hostile_corpus.py) and the property tests
(test_foi_properties.py) go wider."""

from __future__ import annotations

import datetime as dt
import os
import re
from xml.etree import ElementTree

import pytest
from sqlalchemy import select

from tests.conftest import make_app
from tests.foi_fixtures import CONTENT, copy_content, meta, without_hanging, write
from webapp.extensions import db
from webapp.foi.content import parse
from webapp.foi.models import FoiAttachment, FoiResponse
from webapp.foi.problems import MAX_MESSAGE, Problem

LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): (?:warning: )?(?P<rest>.+)$")


def published(app) -> dict[str, tuple]:
    """Everything the log shows, by reference: compare before and after an import."""
    with app.app_context():
        rows = db.session.scalars(select(FoiResponse).order_by(FoiResponse.reference)).all()
        return {r.reference: (r.is_published, r.fingerprint, r.origin, r.source) for r in rows}


def attachment(front: dict | None = None, file: str = "attachments/x.txt", kind: str = "TXT") -> dict:
    return meta(**(front or {}), attachments=[{"title": "The file", "file": file, "type": kind}])


def import_(runner, *args):
    return runner.invoke(args=["foi", "import", *map(str, args)])


def problem_lines(result) -> list[re.Match]:
    return [LINE.match(line) for line in result.stderr.strip().splitlines()]


# --- attachments: only regular files inside the response's own folder ------------------

@pytest.mark.parametrize("make_link", [
    pytest.param(lambda folder: os.symlink("/etc/passwd", folder / "attachments" / "x.txt"), id="symlink to /etc/passwd"),
    pytest.param(lambda folder: os.symlink("../../secret.txt", folder / "attachments" / "x.txt"), id="relative symlink out"),
    pytest.param(lambda folder: os.link(folder.parent / "secret.txt", folder / "attachments" / "x.txt"), id="hard link"),
    pytest.param(lambda folder: os.mkfifo(folder / "attachments" / "x.txt"), id="named pipe"),
    pytest.param(lambda folder: (folder / "attachments" / "x.txt").mkdir(), id="folder"),
    pytest.param(lambda folder: (os.rmdir(folder / "attachments"), os.symlink(folder.parent, folder / "attachments")),
                 id="linked folder on the way"),
])
def test_an_attachment_that_is_not_a_regular_file_inside_the_folder_is_refused(app, runner, tmp_path, make_link):
    (tmp_path / "secret.txt").write_text("root:x:0:0:the server's secret\n")
    folder = tmp_path / "foi"
    (folder / "attachments").mkdir(parents=True)
    write(folder, "a.md", attachment())
    make_link(folder)
    result = without_hanging(lambda: import_(runner, folder))  # a pipe is never opened for reading
    assert result.exit_code == 1
    [found] = [line for line in problem_lines(result) if line and "warning: " not in line.group(0)]
    assert found["file"] == "foi/a.md" and int(found["line"]) > 1
    assert found["rest"].startswith("attachments[1].file: ")
    assert published(app) == {}
    with app.app_context():
        assert db.session.scalars(select(FoiAttachment)).all() == []
    assert app.test_client().get("/foi/TEST-0001/x.txt").status_code == 404


def test_an_attachment_is_served_from_what_the_import_recorded(app, runner, tmp_path):
    folder = tmp_path / "foi"
    (folder / "attachments").mkdir(parents=True)
    (folder / "attachments" / "x.txt").write_text("the published text\n")
    write(folder, "a.md", attachment())
    assert import_(runner, folder).exit_code == 0
    # Swapping the file for a link to a server file afterwards exposes nothing.
    (folder / "attachments" / "x.txt").unlink()
    os.symlink("/etc/passwd", folder / "attachments" / "x.txt")
    response = app.test_client().get("/foi/TEST-0001/x.txt")
    assert response.status_code == 200 and response.get_data() == b"the published text\n"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox; frame-ancestors 'none'"


# --- ownership: a folder's responses are its own ------------------------------------------

def test_importing_a_folder_with_the_same_name_unpublishes_nothing(tmp_path):
    app = make_app(tmp_path)
    runner = app.test_cli_runner()
    assert import_(runner, CONTENT).exit_code == 0
    before = published(app)
    other = tmp_path / "some" / "other" / "place" / "foi"
    write(other, "new.md", meta())
    result = import_(runner, "--remove-missing", other)
    assert result.exit_code == 0, result.output
    assert "0 unpublished" in result.output
    after = published(app)
    assert {ref: row for ref, row in after.items() if ref != "TEST-0001"} == before
    assert all(row[0] for row in after.values())
    assert after["TEST-0001"][2] == str(other.resolve())
    client = app.test_client()
    assert all(client.get(f"/foi/{ref}").status_code == 200 for ref in after)


def test_two_folders_side_by_side_both_publish_and_keep_their_own(app, runner, tmp_path):
    write(tmp_path / "north" / "foi", "a.md", meta())
    write(tmp_path / "south" / "foi", "b.md", meta(reference="TEST-0002"))
    assert import_(runner, tmp_path / "north" / "foi").exit_code == 0
    assert import_(runner, tmp_path / "south" / "foi").exit_code == 0
    (tmp_path / "north" / "foi" / "a.md").unlink()
    result = import_(runner, "--remove-missing", tmp_path / "south" / "foi")
    assert "0 unpublished" in result.output
    assert {ref: row[0] for ref, row in published(app).items()} == {"TEST-0001": True, "TEST-0002": True}
    result = import_(runner, "--remove-missing", tmp_path / "north" / "foi")
    assert "unpublished: TEST-0001 (foi/a.md)" in result.output
    assert {ref: row[0] for ref, row in published(app).items()} == {"TEST-0001": False, "TEST-0002": True}


def test_a_reference_published_from_another_folder_is_an_error_not_a_takeover(app, runner, tmp_path, get_page):
    write(tmp_path / "one" / "foi", "a.md", meta(title="The first folder's response"))
    write(tmp_path / "two" / "foi", "a.md", meta(title="A second folder's response"))
    assert import_(runner, tmp_path / "one" / "foi").exit_code == 0
    before = published(app)
    result = import_(runner, tmp_path / "two" / "foi")
    assert result.exit_code == 1
    [found] = problem_lines(result)
    assert (found["file"], found["line"]) == ("foi/a.md", "2")
    assert found["rest"].startswith("reference: TEST-0001 is already published from another folder")
    assert str((tmp_path / "one" / "foi").resolve()) in found["rest"]
    assert published(app) == before
    assert get_page("/foi/TEST-0001", client=app.test_client()).select_one("h1").text == "The first folder's response"


def test_a_symlink_to_the_folder_is_the_same_folder(app, runner, tmp_path):
    folder = tmp_path / "foi"
    write(folder, "a.md", meta())
    os.symlink(folder, tmp_path / "current")
    assert import_(runner, folder).exit_code == 0
    result = import_(runner, tmp_path / "current")
    assert result.exit_code == 0 and "1 unchanged" in result.output


def test_dry_run_shows_every_change_and_writes_nothing(app, runner, tmp_path):
    folder = tmp_path / "foi"
    write(folder, "a.md", meta())
    write(folder, "b.md", meta(reference="TEST-0002"))
    import_(runner, folder)
    before = published(app)
    (folder / "b.md").unlink()
    write(folder, "a.md", meta(title="A changed title"))
    write(folder, "c.md", meta(reference="TEST-0003"))
    result = import_(runner, "--dry-run", "--remove-missing", folder)
    assert result.exit_code == 0
    changes = [line.strip() for line in result.output.splitlines() if line.startswith("  ")]
    assert changes == ["would update: TEST-0001 (foi/a.md)", "would add: TEST-0003 (foi/c.md)",
                       "would unpublish: TEST-0002 (foi/b.md)"]
    assert "(dry run: nothing was written)" in result.output
    assert published(app) == before


def test_a_single_file_in_a_subfolder_stays_with_its_folder(app, runner, tmp_path):
    folder = tmp_path / "foi"
    write(folder / "2024", "a.md", meta())
    import_(runner, folder)
    write(folder / "2024", "a.md", meta(title="Changed on its own"))
    result = import_(runner, folder / "2024" / "a.md")
    assert result.exit_code == 0, result.output
    assert published(app)["TEST-0001"][2:] == (str(folder.resolve()), "foi/2024/a.md")


# --- dates ---------------------------------------------------------------------------

@pytest.mark.parametrize("value, message", [
    ("2024-02-30", "'2024-02-30' is not a real date: February 2024 has 29 days"),
    ("2023-02-29", "'2023-02-29' is not a real date: February 2023 has 28 days"),
    ("2024-13-01", "'2024-13-01' is not a real date: there is no month 13"),
    ("2024-00-10", "'2024-00-10' is not a real date: there is no month 0"),
    ("2024-04-31", "'2024-04-31' is not a real date: April 2024 has 30 days"),
    ("2024-03-01 25:00:00", "'2024-03-01 25:00:00' is not a real date: there is no hour 25"),
    ("2024-03-01T10:61", "'2024-03-01T10:61' is not a real date: there is no minute 61"),
    ("2099-01-01", "2099-01-01 is in the future: dates must not be later than today"),
    ("１２３４-01-01", "must be a real date written YYYY-MM-DD"),
])
def test_impossible_and_future_dates_are_a_line_level_message_not_a_crash(app, runner, tmp_path, value, message):
    folder = tmp_path / "foi"
    (folder).mkdir()
    text = (CONTENT / "NMC-2024-0455.md").read_text("utf-8")
    text = re.sub(r"(?m)^published: .*$", f"published: {value}", text)
    (folder / "bad.md").write_text(text, "utf-8")
    write(folder, "good.md", meta())
    result = import_(runner, folder)
    assert result.exit_code == 1 and "Traceback" not in result.output
    line = next(n for n, text_line in enumerate(text.splitlines(), 1) if text_line.startswith("published:"))
    assert result.stderr.strip().splitlines()[0].startswith(f"foi/bad.md:{line}: published: ")
    assert message in result.stderr
    assert {ref for ref, row in published(app).items() if row[0]} == {"TEST-0001"}


def test_a_date_within_the_clock_skew_allowance_is_accepted():
    tomorrow = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)).isoformat()
    text = "---\n" + "\n".join(f"{k}: {v}" for k, v in {
        "reference": "T-1", "title": "T", "summary": "S", "published": tomorrow, "received": "2024-01-01",
        "responded": "2024-01-02", "regime": "FOIA", "outcome": "not held", "topics": "[Drones]",
        "questions": "[Q?]"}.items()) + "\n---\nDecision."
    assert not isinstance(parse(text, source="x.md"), list)


def test_every_problem_of_a_file_is_reported_at_once_with_its_line():
    text = ("---\nreference: T-1\ntitle: T\nsummary: S\npublished: 2024-02-30\nreceived: 2024-05-01\n"
            "responded: 2024-04-01\nregime: FOIA\noutcome: maybe\ntopics: [Drones]\nquestions: [Q?]\n---\nDecision.\n")
    found = [str(p) for p in parse(text, source="x.md")]
    assert found == [
        "x.md:5: published: '2024-02-30' is not a real date: February 2024 has 29 days (write YYYY-MM-DD)",
        "x.md:7: responded: must be on or after the date received",
        "x.md:9: outcome: " + found[2].split("outcome: ", 1)[1],
    ]


def test_a_failing_file_keeps_its_last_good_version(app, runner, tmp_path):
    folder = tmp_path / "foi"
    write(folder, "a.md", meta(title="The good version"))
    import_(runner, folder)
    before = published(app)
    write(folder, "a.md", meta(title="The broken version", published="2024-02-30"))
    assert import_(runner, "--remove-missing", folder).exit_code == 1
    assert published(app) == before


# --- YAML limits -------------------------------------------------------------------

def alias_bomb(levels: int) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "---\n" + "\n".join(lines) + f"\ntitle: *a{levels - 1}\n---\nBody\n"


@pytest.mark.parametrize("levels", [6, 9, 12])
def test_a_yaml_alias_bomb_is_refused_with_a_short_message(levels):
    """Its cost is measured in bench/foi_hostile.py (a ratio to an ordinary file's)."""
    found = without_hanging(lambda: parse(alias_bomb(levels), source="bomb.md"))
    assert [str(p) for p in found] == [
        "bomb.md:2: front matter: uses a YAML anchor or alias (&name or *name): write each value out in full"]


@pytest.mark.parametrize("front, message", [
    ("title: " + "[" * 5000 + "]" * 5000, "front matter: is nested more than 8 levels deep"),
    ("title: [" + ", ".join(["x"] * 30000) + "]", "front matter: has more than 20,000 values"),
    ("title: " + "1" * 5000, "title: must be 200 characters or fewer"),
    ("? [a, b]\n: value", "front matter: is not valid YAML"),
    ("title: !!python/object:os.system x", "front matter: is not valid YAML"),
    ("title: a\ntitle: b", "title: is given twice (first on line 2): keep one"),
])
def test_yaml_structures_are_limited_and_told(front, message):
    found = parse(f"---\n{front}\n---\nBody\n", source="x.md")
    assert isinstance(found, list) and any(message in str(p) for p in found), [str(p) for p in found]


def test_every_message_is_capped_in_length():
    found = parse("---\n" + "x" * 10_000 + ": 1\n" + "outcome: " + "y" * 10_000 + "\n---\nBody", source="x.md")
    assert found and all(len(p.message) <= MAX_MESSAGE and len(p.field) <= 80 for p in found)
    assert len(str(Problem("x.md", "f", "m" * 10**6, line=1))) < MAX_MESSAGE + 20


# --- what reaches the public ------------------------------------------------------

def test_html_comments_are_neither_published_nor_indexed(app, runner, tmp_path, get_page):
    folder = tmp_path / "foi"
    write(folder, "a.md", meta(answers=[{"questions": [1, 2], "text": "Two lighthouses.\n\n<!-- INTERNAL NOTE: ask Sgt Bloggs -->\n\nDone."}],
                               summary="A summary <!-- INTERNAL reviewer initials -->"),
          body="I have decided to disclose.\n<!--\nINTERNAL NOTE: the requester is a journalist\n-->\n")
    assert import_(runner, folder).exit_code == 0
    client = app.test_client()
    page = get_page("/foi/TEST-0001", client=client).select_one("main")
    assert "INTERNAL" not in page.get_text() and "<!--" not in page.get_text()
    assert get_page("/foi?q=internal", client=client).select_one("#result-count").text.split()[0] == "0"
    with app.app_context():
        row = db.session.scalars(select(FoiResponse)).one()
        assert "INTERNAL" not in row.search_body + row.document + row.summary


def test_an_unclosed_comment_is_a_problem():
    found = [str(p) for p in parse("---\nreference: T\n---\nDecision.\n\n<!-- never closed\n", source="x.md")]
    assert "x.md:6: body: an HTML comment '<!--' is never closed with '-->'" in found


@pytest.mark.parametrize("character", ["\uffff", "\ufffe", "\x00", "\x01", "\x0b", "\x1b", "\x7f"])
def test_characters_xml_forbids_are_refused_with_their_line(app, runner, tmp_path, character):
    folder = tmp_path / "foi"
    path = write(folder, "a.md", meta())
    text = path.read_text("utf-8").replace("title: Fictional", f"title: Fictional{character}")
    path.write_text(text, "utf-8")
    result = import_(runner, folder)
    assert result.exit_code == 1
    assert problem_lines(result)[0]["line"] == "3"
    assert f"U+{ord(character):04X}" in result.stderr
    assert published(app) == {}


def test_escaped_forbidden_characters_are_refused_too_and_the_feed_stays_well_formed(app, runner, tmp_path):
    folder = tmp_path / "foi"
    path = write(folder, "a.md", meta())
    path.write_text(path.read_text("utf-8").replace("title: Fictional test response about lighthouses",
                                                    'title: "Lighthouses \\uFFFF \\x01"'), "utf-8")
    write(folder, "b.md", meta(reference="TEST-0002"))
    result = import_(runner, folder)
    assert result.exit_code == 1 and "foi/a.md:3: title: contains the character" in result.stderr
    ElementTree.fromstring(app.test_client().get("/foi.atom").get_data())  # well-formed XML


def test_an_image_is_refused_not_dropped():
    found = [str(p) for p in parse("---\nreference: T\n---\nDecision.\n\n![A chart of costs](chart.png)\n", source="x.md")]
    assert any(p.startswith("x.md:6: body: an image (![A chart of costs](...)) cannot be shown") for p in found), found


@pytest.mark.parametrize("markdown", [
    "> " * 25 + "the innermost words",
    "".join("  " * i + "- level\n" for i in range(15)),
    "".join("   " * i + "1. level\n" for i in range(15)),
])
def test_nesting_deeper_than_can_be_shown_is_a_problem(markdown):
    found = [str(p) for p in parse(f"---\nreference: T\n---\nDecision.\n\n{markdown}\n", source="x.md")]
    assert any("nested too deeply" in p and p.startswith("x.md:") for p in found), found


def test_moderate_nesting_is_fine():
    text = "---\nreference: T\n---\n" + "> " * 5 + "quoted\n\n" + "".join("  " * i + "- level\n" for i in range(4))
    assert not any("nested" in str(p) for p in parse(text, source="x.md"))


def test_an_unpublished_related_reference_is_a_warning_the_author_sees(app, runner, tmp_path):
    folder = tmp_path / "foi"
    write(folder, "a.md", meta(related=[{"reference": "TEST-0002"}, {"reference": "NO-SUCH-1"}]))
    write(folder, "b.md", meta(reference="TEST-0002"))
    result = import_(runner, folder)
    assert result.exit_code == 0
    line = (folder / "a.md").read_text("utf-8").splitlines().index("related:") + 1
    assert [line for line in result.stderr.splitlines()] == [
        f"foi/a.md:{line}: warning: related: NO-SUCH-1 is not a published response, so no link to it is shown: "
        "check the reference"]


# --- samples --------------------------------------------------------------------------

def test_generate_sample_writes_files_and_publishes_nothing_unless_asked(app, runner, tmp_path):
    app.instance_path = str(tmp_path / "instance")
    result = runner.invoke(args=["foi", "generate-sample", "--count", "4"])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "instance" / "sample-foi").glob("*.md"))) == 4  # the default folder
    result = runner.invoke(args=["foi", "generate-sample", "--count", "5", "--output", str(tmp_path / "s")])
    assert result.exit_code == 0 and len(list((tmp_path / "s").glob("*.md"))) == 5
    assert all("sample: true" in path.read_text("utf-8") for path in (tmp_path / "s").glob("*.md"))
    assert published(app) == {}
    result = runner.invoke(args=["foi", "generate-sample", "--count", "5", "--publish"])
    assert result.exit_code == 0 and "5 added" in result.output
    assert len(published(app)) == 5


def test_one_command_removes_every_sample(app, runner, tmp_path, get_page):
    import_(runner, CONTENT)
    shipped = published(app)

    def found():
        app.extensions["page_cache"].clear()
        return get_page("/foi?q=fictional", client=app.test_client()).select_one("#result-count").text.split()[0]

    before = found()
    runner.invoke(args=["foi", "generate-sample", "--count", "7", "--publish"])
    assert len(published(app)) == len(shipped) + 7
    result = runner.invoke(args=["foi", "remove-sample"])
    assert result.exit_code == 0 and "deleted 7 sample response(s)" in result.output
    assert published(app) == shipped
    # Sample files imported like any others are samples too ("sample: true").
    runner.invoke(args=["foi", "generate-sample", "--count", "3", "--seed", "9", "--output", str(tmp_path / "s" / "foi")])
    assert import_(runner, tmp_path / "s" / "foi").exit_code == 0
    assert len(published(app)) == len(shipped) + 3
    result = runner.invoke(args=["foi", "remove-sample"])
    assert result.exit_code == 0 and "deleted 3 sample response(s)" in result.output
    assert published(app) == shipped
    assert found() == before


def test_make_run_serves_even_when_a_file_fails(tmp_path):
    """The Makefile's run target: the import's problems are printed, the site starts."""
    import shutil
    import subprocess

    from bench.services import free_port, serves
    from webapp.config import PROJECT_ROOT

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    folder = copy_content(tmp_path)
    (folder / "broken.md").write_text("---\nreference: BROKEN-1\npublished: 2024-02-30\n---\nx\n", "utf-8")
    port = free_port()
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "FOI_CONTENT_DIR": str(folder),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'run.sqlite3'}"}
    server = subprocess.Popen(["make", "--no-print-directory", "run", f"PORT={port}"], cwd=PROJECT_ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert serves(server, f"http://127.0.0.1:{port}/foi/NMC-2024-0117"), server.poll()
    finally:
        os.killpg(server.pid, 15)
        _, stderr = server.communicate(timeout=20)
    assert "foi/broken.md:3: published: '2024-02-30' is not a real date" in stderr
    assert "serving what was published before" in stderr


# --- responses published before ownership was recorded ------------------------------

@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "postgresql":
        return request.getfixturevalue("postgres_url")
    return f"sqlite:///{tmp_path / 'legacy.sqlite3'}"


def test_migration_0004_marks_old_samples_and_the_first_import_adopts_old_responses(tmp_path, database_url):
    from sqlalchemy import text

    from webapp.database import build_engine, upgrade

    engine = build_engine(database_url)
    upgrade(engine, "0003")
    with engine.begin() as connection:
        for reference, source in (("NMC-2024-0117", "foi/NMC-2024-0117.md"), ("NMC-2020-000001", "generated/NMC-2020-000001.md")):
            connection.execute(text(
                "INSERT INTO foi_response (reference, reference_key, title, summary, published, change_note, received,"
                " responded, regime, outcome, document, search_body, source, fingerprint, is_published, imported_at)"
                " VALUES (:r, :r, 'Old', 'Old', '2024-03-01', '', '2024-01-01', '2024-02-01', 'FOIA', 'not-held',"
                " '{}', 'old', :s, 'old', TRUE, '2024-03-01 00:00:00')"), {"r": reference, "s": source})
    upgrade(engine)
    with engine.connect() as connection:
        rows = {r.reference: (r.origin, bool(r.is_sample)) for r in connection.execute(
            text("SELECT reference, origin, is_sample FROM foi_response"))}
    assert rows == {"NMC-2024-0117": (None, False), "NMC-2020-000001": ("sample", True)}
    engine.dispose()
    app = make_app(tmp_path, DATABASE_URL=database_url)
    result = import_(app.test_cli_runner(), CONTENT)
    assert result.exit_code == 0, result.output
    assert "9 added, 1 changed" in result.output  # the old row is adopted by the file it came from
    assert published(app)["NMC-2024-0117"][2] == str(CONTENT.resolve())
    assert "deleted 1 sample response(s)" in app.test_cli_runner().invoke(args=["foi", "remove-sample"]).output
