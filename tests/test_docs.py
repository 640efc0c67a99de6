"""The documentation stays true to the code: docs/settings.md lists exactly the settings
webapp/config.py reads, every link in README.md and docs/ leads to a file and heading
that exist, the README names only make targets the Makefile has and stays short, the
authors' guide shows a response file the import accepts, every path a page names is in the
repository, and no page cites issue numbers."""

from __future__ import annotations

import re
import unicodedata

import pytest

from webapp import config
from webapp.config import PROJECT_ROOT
from webapp.foi.content import ResponseDocument, parse

DOCS = sorted((PROJECT_ROOT / "docs").glob("*.md"))
PAGES = [PROJECT_ROOT / "README.md", *DOCS]
SETTINGS = (PROJECT_ROOT / "docs" / "settings.md").read_text("utf-8")
README = (PROJECT_ROOT / "README.md").read_text("utf-8")
# Settings read outside webapp/config.py: the Makefile's, and the tests' and benchmarks' own.
OUTSIDE_THE_APP = {"HOST", "PORT", "TEST_DATABASE_URL", "TEST_REDIS_URL", "HYPOTHESIS_PROFILE", "QUICK_EXIT_BENCH_RUNS"}


class RecordingEnvironment(dict):
    """An environment that remembers every name the settings loader asks for."""

    def __init__(self, values):
        super().__init__(values)
        self.asked: set[str] = set()

    def get(self, name, default=None):
        self.asked.add(name)
        return super().get(name, default)

    def __getitem__(self, name):
        self.asked.add(name)
        return super().__getitem__(name)

    def __contains__(self, name):
        self.asked.add(name)
        return super().__contains__(name)


def settings_read_by_the_app() -> set[str]:
    """What loading the settings asks for, in development and in production (some are
    read only there). A SECRET_KEY is given, so that loading writes no development key."""
    asked = set()
    for values in ({}, {"APP_ENV": "production", "SITE_URL": "https://foi.example.org"}):
        environment = RecordingEnvironment({"SECRET_KEY": "k" * 64, **values})
        config.load(environment)
        asked |= environment.asked
    return asked


def documented_settings() -> set[str]:
    names = set()
    for row in re.findall(r"^\| ([^|]*`[A-Z][A-Z0-9_]+`[^|]*) \|", SETTINGS, re.MULTILINE):
        names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", row))
    return names


def test_the_recording_environment_sees_what_the_loader_reads():
    asked = settings_read_by_the_app()
    assert {"SECRET_KEY", "SITE_URL", "DATABASE_URL", "QUICK_EXIT_URL", "ANALYTICS_SITE_ID"} <= asked


def test_every_setting_the_app_reads_is_documented():
    missing = settings_read_by_the_app() - documented_settings()
    assert not missing, f"add to docs/settings.md: {sorted(missing)}"


def test_every_documented_setting_is_read_somewhere():
    stale = documented_settings() - settings_read_by_the_app() - OUTSIDE_THE_APP
    assert not stale, f"docs/settings.md documents settings nothing reads: {sorted(stale)}"


def slug(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    text = unicodedata.normalize("NFKC", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text("utf-8"), flags=re.DOTALL)
    return {slug(heading) for heading in re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE)}


def links(page) -> list[str]:
    """Link targets outside code blocks and code spans, other sites and e-mail left out."""
    text = re.sub(r"```.*?```", "", page.read_text("utf-8"), flags=re.DOTALL)
    text = re.sub(r"`[^`\n]*`", "", text)
    return [target for target in re.findall(r"\]\(([^)\s]+)\)", text) if "://" not in target
            and not target.startswith("mailto:")]


def test_slugs_match_githubs():
    assert slug("Choosing the worker (2026-11-30, 2 shared cores, load average 5–7)") == (
        "choosing-the-worker-2026-11-30-2-shared-cores-load-average-57")
    assert slug("`/healthz` and what \"degraded\" means") == "healthz-and-what-degraded-means"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_link_leads_to_a_file_and_heading_that_exist(page):
    found = links(page)
    for target in found:
        path, _, anchor = target.partition("#")
        destination = (page.parent / path).resolve() if path else page
        assert destination.exists(), f"{page.name}: {target} leads nowhere"
        if anchor and destination.suffix == ".md":
            assert anchor in anchors(destination), f"{page.name}: {target}: no such heading"


def test_the_readme_links_every_page_in_docs():
    linked = {target.partition("#")[0] for target in links(PROJECT_ROOT / "README.md")}
    missing = {f"docs/{page.name}" for page in DOCS} - linked
    assert not missing, f"README.md does not link {sorted(missing)}"


def test_the_readme_names_only_make_targets_that_exist():
    makefile = (PROJECT_ROOT / "Makefile").read_text("utf-8")
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.MULTILINE))
    named = set(re.findall(r"`make ([a-z][a-z-]*)", README))
    assert named and named <= targets, sorted(named - targets)


def test_the_readme_is_short_enough_to_read_first():
    assert len(README.encode("utf-8")) < 8 * 1024


# A path into the repository, as the pages write them: from a top-level folder, or leaving it.
REPOSITORY_PATH = re.compile(r"(?<![\w/.-])((?:\.\./|(?:webapp|tests|bench|deploy|docs|static|templates|content)/)[\w./@-]*)")
BUILT = ("static/dist",)  # made by `make assets`, not kept in git
ISSUE_NUMBER = re.compile(r"\bissues? #?\d+", re.IGNORECASE)


def test_paths_are_found_in_the_text():
    found = REPOSITORY_PATH.findall("see `webapp/foi/search.py`, ../elsewhere/notes.md and foi/x.md")
    assert found == ["webapp/foi/search.py", "../elsewhere/notes.md"]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_path_a_page_names_is_in_the_repository(page):
    for path in REPOSITORY_PATH.findall(page.read_text("utf-8")):
        path = path.rstrip(".")
        if path.startswith(BUILT):
            continue
        resolved = ((page.parent if path.startswith("../") else PROJECT_ROOT) / path).resolve()
        assert resolved.is_relative_to(PROJECT_ROOT) and resolved.exists(), f"{page.name} names {path}"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_no_page_cites_issue_numbers(page):
    assert ISSUE_NUMBER.findall(page.read_text("utf-8")) == []


def test_the_documented_response_file_is_one_the_import_accepts(tmp_path):
    """The complete example in the authors' guide is a valid response file, every field used."""
    guide = (PROJECT_ROOT / "docs" / "publishing-responses.md").read_text("utf-8")
    example = re.search(r"```markdown\n(.*?)```", guide, re.DOTALL).group(1)
    (tmp_path / "attachments").mkdir()
    (tmp_path / "attachments" / "NMC-2024-0117-dog-costs.csv").write_text("year,dogs\n2023,12\n", "utf-8")
    document = parse(example, source="NMC-2024-0117.md", base_dir=tmp_path)
    assert isinstance(document, ResponseDocument), [str(problem) for problem in document]
    assert document.reference == "NMC-2024-0117"
    assert [attachment.kind for attachment in document.attachments] == ["CSV"]
