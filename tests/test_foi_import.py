"""`flask foi import`: validation output, idempotency, upsert, unpublishing, and the
page cache following the content version across workers."""

import re

import pytest
from sqlalchemy import func, select

from tests.conftest import make_app, soup
from tests.foi_fixtures import CONTENT, SHIPPED_REFERENCE, copy_content, meta, write
from webapp.extensions import db
from webapp.foi.models import FoiAttachment, FoiExemption, FoiResponse, FoiState, FoiTopic
from webapp.foi.vocabulary import RESERVED_NAMES


def rows(app):
    with app.app_context():
        return {
            r.reference: r for r in db.session.scalars(select(FoiResponse))
        }


def version(app):
    with app.app_context():
        return db.session.scalar(select(FoiState.version))


def test_import_loads_every_shipped_file(app, runner):
    result = runner.invoke(args=["foi", "import", str(CONTENT)])
    assert result.exit_code == 0, result.output
    assert "10 added, 0 changed, 0 unchanged, 0 unpublished, 0 file(s) with problems" in result.output
    stored = rows(app)
    assert SHIPPED_REFERENCE in stored and stored[SHIPPED_REFERENCE].is_published
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FoiAttachment)) == 3
        assert db.session.scalar(select(func.count()).where(FoiExemption.section == "40(2)")) == 2


def test_import_defaults_to_the_content_setting(tmp_path):
    folder = tmp_path / "elsewhere"
    write(folder, "one.md", meta())
    app = make_app(tmp_path, FOI_CONTENT_DIR=str(folder))
    result = app.test_cli_runner().invoke(args=["foi", "import"])
    assert result.exit_code == 0, result.output
    assert set(rows(app)) == {"TEST-0001"}


def test_importing_twice_changes_nothing(app, runner):
    runner.invoke(args=["foi", "import", str(CONTENT)])
    before = {ref: (r.id, r.fingerprint, r.imported_at) for ref, r in rows(app).items()}
    first_version = version(app)
    result = runner.invoke(args=["foi", "import", str(CONTENT)])
    assert "0 added, 0 changed, 10 unchanged, 0 unpublished" in result.output
    assert {ref: (r.id, r.fingerprint, r.imported_at) for ref, r in rows(app).items()} == before
    assert version(app) == first_version


def test_a_bad_file_is_reported_and_skipped_while_others_load(app, runner, tmp_path):
    folder = tmp_path / "foi"
    write(folder, "good.md", meta())
    write(folder, "bad.md", meta(reference="TEST-0002", published="yesterday", outcome="maybe"))
    result = runner.invoke(args=["foi", "import", str(folder)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "foi/bad.md:5: published: must be a real date written YYYY-MM-DD, got 'yesterday'",
        "foi/bad.md:9: outcome: must be one of: disclosed in full; disclosed in part; not held; refused; "
        "neither confirm nor deny; refused – cost limit (s.12); refused – vexatious or repeated (s.14); "
        "already accessible (s.21) (got 'maybe')",
    ]
    assert set(rows(app)) == {"TEST-0001"}
    assert "1 added" in result.output and "1 file(s) with problems" in result.output


def test_duplicate_references_load_once(app, runner, tmp_path):
    folder = tmp_path / "foi"
    write(folder, "a.md", meta())
    write(folder, "b.md", meta(reference="test-0001"))
    result = runner.invoke(args=["foi", "import", str(folder)])
    assert result.exit_code == 1
    assert "foi/b.md:2: reference: test-0001 is already used by foi/a.md" in result.stderr
    assert set(rows(app)) == {"TEST-0001"}


def same_address_forms(name: str) -> list[str]:
    """Spellings of ``name`` that /foi/<reference> resolves to the same address: any case
    (addresses are looked up upper-cased), its .json twin, and a letter whose upper case
    is the ASCII one ("ſ" is "S", "ı" is "I")."""
    forms = [name, name.upper(), name.capitalize(), f"{name}.json"]
    for letter, twin in (("s", "ſ"), ("i", "ı")):
        if letter in name:
            forms.append(name.replace(letter, twin, 1))
            break
    assert all(form.upper().removesuffix(".JSON") == name.upper() for form in forms)
    return forms


@pytest.mark.parametrize("name", sorted(RESERVED_NAMES))
def test_a_reference_taking_a_reserved_page_address_is_refused(app, runner, tmp_path, name):
    folder = tmp_path / "foi"
    forms = same_address_forms(name)
    for number, form in enumerate(forms):
        write(folder, f"reserved-{number}.md", meta(reference=form))
    write(folder, "near.md", meta(reference=f"{name}-2024"))  # only the exact address is kept
    result = runner.invoke(args=["foi", "import", str(folder)])
    assert result.exit_code == 1
    refused = [line for line in result.stderr.splitlines() if "is kept for a page of the site" in line]
    assert len(refused) == len(forms), result.stderr
    for number, form in enumerate(forms):
        expected = re.compile(
            rf"foi/reserved-{number}\.md:2: reference: must not be '{re.escape(form)}': the address "
            rf"/foi/{re.escape(name)} is kept for a page of the site \(kept names: [a-z, -]+\)"
        )
        assert any(expected.fullmatch(line) for line in refused), (form, refused)
    assert set(rows(app)) == {f"{name}-2024"}
    assert f"1 added, 0 changed, 0 unchanged, 0 unpublished, {len(forms)} file(s) with problems" in result.output


def test_a_changed_file_updates_in_place(app, runner, tmp_path):
    folder = tmp_path / "foi"
    write(folder, "a.md", meta())
    runner.invoke(args=["foi", "import", str(folder)])
    original = rows(app)["TEST-0001"]
    write(folder, "a.md", meta(title="A new title", topics=["Drones"], outcome="refused", exemptions=["31(1)(a)"]))
    result = runner.invoke(args=["foi", "import", str(folder)])
    assert "0 added, 1 changed" in result.output
    updated = rows(app)["TEST-0001"]
    assert updated.id == original.id and updated.title == "A new title" and updated.outcome == "refused"
    with app.app_context():
        assert db.session.scalars(select(FoiTopic.slug).where(FoiTopic.response_id == updated.id)).all() == ["drones"]
        assert db.session.scalars(select(FoiExemption.section).where(FoiExemption.response_id == updated.id)).all() == ["31(1)(a)"]


def test_a_removed_file_is_unpublished_and_a_broken_one_keeps_its_last_version(app, runner, tmp_path):
    folder = tmp_path / "foi"
    write(folder, "a.md", meta())
    write(folder, "b.md", meta(reference="TEST-0002"))
    write(folder, "c.md", meta(reference="TEST-0003"))
    runner.invoke(args=["foi", "import", str(folder)])
    (folder / "b.md").unlink()
    write(folder, "c.md", meta(reference="TEST-0003", published="not a date"))
    # Without --remove-missing the response whose file has gone is listed, and kept.
    result = runner.invoke(args=["foi", "import", str(folder)])
    assert "0 unpublished" in result.output and "1 kept though their file has gone" in result.output
    assert "file gone, still published: TEST-0002 (foi/b.md)" in result.output
    assert rows(app)["TEST-0002"].is_published
    result = runner.invoke(args=["foi", "import", "--remove-missing", str(folder)])
    assert "1 unpublished" in result.output and "unpublished: TEST-0002 (foi/b.md)" in result.output
    stored = rows(app)
    assert not stored["TEST-0002"].is_published
    assert stored["TEST-0001"].is_published and stored["TEST-0003"].is_published
    client = app.test_client()
    assert client.get("/foi/TEST-0002").status_code == 404
    assert client.get("/foi/TEST-0003").status_code == 200
    # Putting the file back publishes it again.
    write(folder, "b.md", meta(reference="TEST-0002"))
    runner.invoke(args=["foi", "import", str(folder)])
    assert rows(app)["TEST-0002"].is_published


def test_importing_one_file_unpublishes_nothing(app, runner, tmp_path):
    folder = tmp_path / "foi"
    write(folder, "a.md", meta())
    write(folder, "b.md", meta(reference="TEST-0002"))
    runner.invoke(args=["foi", "import", str(folder)])
    result = runner.invoke(args=["foi", "import", str(folder / "a.md")])
    assert result.exit_code == 0
    assert all(r.is_published for r in rows(app).values())


def test_generate_sample_is_deterministic(tmp_path):
    first = make_app(tmp_path / "one")
    second = make_app(tmp_path / "two")
    for app in (first, second):
        result = app.test_cli_runner().invoke(args=["foi", "generate-sample", "--count", "30", "--publish"])
        assert result.exit_code == 0, result.output
        assert "30 added" in result.output
    assert {r: x.fingerprint for r, x in rows(first).items()} == {r: x.fingerprint for r, x in rows(second).items()}
    assert len(rows(first)) == 30


def test_generate_sample_writes_files_that_import(app, runner, tmp_path):
    out = tmp_path / "generated"
    result = runner.invoke(args=["foi", "generate-sample", "--count", "12", "--output", str(out)])
    assert result.exit_code == 0
    assert len(list(out.glob("*.md"))) == 12
    result = runner.invoke(args=["foi", "import", str(out)])
    assert result.exit_code == 0, result.output
    assert "12 added" in result.output


def test_an_import_makes_another_worker_serve_the_new_content(tmp_path):
    """Two apps on one database stand for two gunicorn workers, each with its own page cache."""
    folder = copy_content(tmp_path)
    clock = [1000.0]
    worker = make_app(tmp_path)
    publisher = make_app(tmp_path)
    worker.extensions["foi.content_version"].clock = lambda: clock[0]
    publisher.test_cli_runner().invoke(args=["foi", "import", str(folder)])
    clock[0] += 5
    client = worker.test_client()
    assert soup(client.get(f"/foi/{SHIPPED_REFERENCE}")).select_one("h1").text == "The decision to buy and use the CONNECT IT system"
    assert len(worker.extensions["page_cache"]) == 1
    source = folder / f"{SHIPPED_REFERENCE}.md"
    source.write_text(source.read_text("utf-8").replace(
        "title: The decision to buy and use the CONNECT IT system", "title: Who chose CONNECT"), "utf-8")
    result = publisher.test_cli_runner().invoke(args=["foi", "import", str(folder)])
    assert "1 changed" in result.output
    # Within the version's time to live the worker still replays its cached page...
    assert soup(client.get(f"/foi/{SHIPPED_REFERENCE}")).select_one("h1").text == "The decision to buy and use the CONNECT IT system"
    # ...and once it has re-read the version (at most about a second later) it serves the new one.
    clock[0] += 1.5
    assert soup(client.get(f"/foi/{SHIPPED_REFERENCE}")).select_one("h1").text == "Who chose CONNECT"
    assert soup(client.get("/foi?q=chose")).select_one("#result-count").text.split() == ["1", "response", "found"]


def test_importing_another_folder_leaves_the_first_alone(app, runner, tmp_path):
    write(tmp_path / "one", "a.md", meta())
    write(tmp_path / "two", "b.md", meta(reference="TEST-0002"))
    runner.invoke(args=["foi", "import", str(tmp_path / "one")])
    result = runner.invoke(args=["foi", "import", str(tmp_path / "two")])
    assert "0 unpublished" in result.output
    assert all(r.is_published for r in rows(app).values())


def test_foi_settings_are_read_and_checked():
    import pytest

    from webapp.config import ConfigError, load

    settings = load({"FOI_CONTENT_DIR": "/srv/foi", "FOI_VERSION_TTL": "0.5"})
    assert settings["FOI_CONTENT_DIR"] == "/srv/foi" and settings["FOI_VERSION_TTL"] == 0.5
    assert load({})["FOI_CONTENT_DIR"].endswith("content/foi") and load({})["FOI_VERSION_TTL"] == 1.0
    with pytest.raises(ConfigError, match="FOI_VERSION_TTL must be a number of seconds"):
        load({"FOI_VERSION_TTL": "soon"})
