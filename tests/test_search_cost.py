"""Search cost is bounded by design: a word repeated 16,000 times in one response, or a
1 MB response, is found, and its snippet is built from a bounded part of the text with a
bounded number of words checked (never one step per occurrence). Both engines.

Timing belongs to ``bench/foi.py`` (which searches such documents among 100,000); these
tests check the bounds that make the time bounded."""

from __future__ import annotations

import pytest

from tests.conftest import make_app, soup
from tests.foi_fixtures import meta, write
from webapp.extensions import db
from webapp.foi import snippet as snippets
from webapp.foi.publish import import_path
from webapp.foi.query import LogQuery
from webapp.foi.search import backend_for

REPEATED = "kennel " * 16_000
# About 1 MB: five answers of 195,000 characters, the word only at the very end.
FILLER = ("lorem ipsum dolor sit amet " * 7_300)[:195_000]
LATE_WORD = "zeppelin"


@pytest.fixture(params=["sqlite", "postgresql"])
def heavy_app(request, tmp_path):
    overrides = {}
    if request.param == "postgresql":
        overrides["DATABASE_URL"] = request.getfixturevalue("postgres_url")
    app = make_app(tmp_path, **overrides)
    folder = tmp_path / "heavy"
    write(folder, "repeated.md", meta(reference="HEAVY-REPEAT", title="Kennels",
                                      answers=[{"questions": [1, 2], "text": REPEATED}]))
    write(folder, "large.md", meta(
        reference="HEAVY-LARGE", title="A long answer", questions=[f"Question {n}?" for n in range(1, 6)],
        answers=[{"questions": [n], "text": FILLER + (f" {LATE_WORD}" if n == 5 else "")} for n in range(1, 6)],
    ))
    with app.app_context():
        report = import_path(db.engine, folder)
    assert not report.problems, [str(p) for p in report.problems]
    app.extensions["foi.content_version"].expire()
    return app


def search(app, q):
    with app.app_context():
        return backend_for(db.engine).search(LogQuery(q=q, sort="relevance"))


def test_a_word_repeated_16000_times_is_found_with_a_short_snippet(heavy_app):
    page = search(heavy_app, "kennel")
    assert [hit.reference for hit in page.hits] == ["HEAVY-REPEAT"]
    snippet_html = soup_of(page.hits[0].snippet_html)
    words = snippet_html.get_text(" ", strip=True).replace("…", " ").split()
    assert 0 < len(words) <= 40
    marks = snippet_html.select("mark.app-highlight")
    assert 1 <= len(marks) <= 40 and {m.get_text() for m in marks} == {"kennel"}


def test_the_snippet_reads_a_bounded_part_of_a_large_response(heavy_app):
    """The word is found (the index holds the whole text) but lies past the part the
    snippet may read, so the snippet is the beginning of the text, unmarked."""
    page = search(heavy_app, LATE_WORD)
    assert [hit.reference for hit in page.hits] == ["HEAVY-LARGE"]
    snippet_html = soup_of(page.hits[0].snippet_html)
    assert snippet_html.select("mark") == []
    assert LATE_WORD not in snippet_html.get_text()
    assert len(snippet_html.get_text().split()) <= 40


def test_the_log_page_for_those_words_renders(heavy_app):
    client = heavy_app.test_client()
    for word in ("kennel", LATE_WORD, "lorem"):
        page = soup(client.get(f"/foi?q={word}"))
        assert page.select(".app-result"), word
    assert client.get("/foi.json?q=kennel").status_code == 200


def soup_of(markup):
    from bs4 import BeautifulSoup

    return BeautifulSoup(str(markup), "html.parser")


# --- the snippet builder itself --------------------------------------------------------

def test_snippet_work_does_not_grow_with_occurrences(monkeypatch):
    calls = []
    real = snippets.stem.__wrapped__

    def counting(word):
        calls.append(word)
        return real(word)

    monkeypatch.setattr(snippets, "stem", counting)
    for text in ("cost " * 16_000, "costume " * 200_000, "a " * 500_000 + "cost"):
        calls.clear()
        result = snippets.snippet(text, ["cost"], "[", "]")
        assert len(calls) <= snippets.MAX_CANDIDATES + snippets.WORDS + 1
        assert len(result.split()) <= snippets.WORDS + 2


@pytest.mark.parametrize("text, terms, expected", [
    ("We spent money on ponies and a pony.", ["ponies"], "We spent money on [ponies] and a [pony]."),
    ("The COSTS were high; costing is hard. Costume.", ["cost"], "The [COSTS] were high; [costing] is hard. Costume."),
    ("Café records", ["cafe"], "[Café] records"),
    ("nothing here", ["absent"], "nothing here"),
    ("marker \x02 inside \x03 text", ["inside"], "marker [inside] text"),
])
def test_snippet_marks_the_words_the_index_matches(text, terms, expected):
    result = snippets.snippet(text, terms, "[", "]")
    assert " ".join(result.replace("\x02", "").replace("\x03", "").split()) == expected


def test_snippet_starts_a_few_words_before_the_match():
    text = " ".join(f"w{n}" for n in range(100)) + " target " + " ".join(f"v{n}" for n in range(100))
    result = snippets.snippet(text, ["target"], "[", "]")
    assert result.startswith("…w94 w95") and "[target]" in result and result.endswith("…")
    assert len(result.replace("…", "").split()) == snippets.WORDS
