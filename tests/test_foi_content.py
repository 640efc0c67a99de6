"""Content files: every validation rule with its message, and safe Markdown rendering."""

import datetime as dt

import pytest
from bs4 import BeautifulSoup

from tests.foi_fixtures import CONTENT, meta
from webapp.foi.content import load_file, parse, validate
from webapp.foi.documents import ResponseDocument
from webapp.foi.markdown import MarkdownRenderer
from webapp.foi.vocabulary import OUTCOME_LABELS, OUTCOMES, REGIME_NAMES, REGIMES


def test_the_labels_pages_show_are_the_words_content_files_use():
    """Pages show the translatable labels, files and open data the fixed words: in English
    they are the same, so a page says what the file said."""
    assert {slug: str(label) for slug, label in OUTCOME_LABELS.items()} == OUTCOMES
    assert {key: str(name) for key, name in REGIME_NAMES.items()} == REGIMES


def problems_for(front: dict, body: str = "Decision text.", base_dir=None) -> list[str]:
    result = validate(front, body, source="x.md", base_dir=base_dir)
    assert isinstance(result, list), "expected problems, the file was accepted"
    return [str(problem) for problem in result]


def test_every_shipped_file_is_valid_and_covers_every_outcome():
    documents = [load_file(path) for path in sorted(CONTENT.glob("*.md"))]
    assert all(isinstance(d, ResponseDocument) for d in documents), [d for d in documents if isinstance(d, list)]
    assert {d.outcome for d in documents} == set(OUTCOMES)
    assert len(documents) >= 6
    assert any(d.exemptions for d in documents)
    assert any(d.attachments for d in documents)
    assert max(len(d.questions) for d in documents) >= 10  # the long multi-question request
    assert {d.regime for d in documents} == {"FOIA", "EIR"}
    assert any(d.updated and d.change_note for d in documents)


def test_a_valid_file_parses_every_field():
    document = validate(meta(exemptions=None), "Decision.", source="x.md")
    assert isinstance(document, ResponseDocument)
    assert document.reference == "TEST-0001"
    assert document.published == dt.date(2024, 3, 1)
    assert document.outcome == "disclosed-in-full"
    assert document.answers[0]["questions"] == [1, 2]
    assert document.decision_html == '<p class="govuk-body">Decision.</p>'


@pytest.mark.parametrize("reference", ["01.FOI.23.031828", "NMC-2024-0117", "FOI_2024_17", "2024.123"])
def test_reference_styles_of_different_forces_are_accepted(reference):
    assert isinstance(validate(meta(reference=reference), "D.", source="x.md"), ResponseDocument)


@pytest.mark.parametrize("reference, message", [
    ("FOI/2024/1", "reference: must be letters, digits, dots, hyphens or underscores"),
    ("-FOI-1", "reference: must be letters, digits, dots, hyphens or underscores"),
    ("NMC-1.json", "reference: must not end in .json, .atom or .csv"),
    ("x" * 65, "reference: must be 64 characters or fewer"),
])
def test_bad_references_are_refused(reference, message):
    assert any(message in problem for problem in problems_for(meta(reference=reference)))


@pytest.mark.parametrize("field", ["reference", "title", "summary", "published", "received", "responded",
                                   "regime", "outcome", "topics", "questions"])
def test_required_fields(field):
    found = problems_for(meta(**{field: None}))
    assert any(problem.startswith(f"x.md: {field}: ") and "required" in problem for problem in found), found


def test_problems_name_the_file_the_field_and_what_is_wrong():
    found = problems_for(meta(published="2024-02-30", regime="GDPR", colour="blue"))
    assert "x.md: published: '2024-02-30' is not a real date: February 2024 has 29 days (write YYYY-MM-DD)" in found
    assert "x.md: regime: must be FOIA or EIR, got 'GDPR'" in found
    assert any(problem.startswith("x.md: colour: is not a known field") for problem in found)


def test_date_order_rules():
    found = problems_for(meta(received="2024-03-01", responded="2024-02-01", published="2024-01-01"))
    assert "x.md: responded: must be on or after the date received" in found
    assert "x.md: published: must be on or after the date received" in found
    found = problems_for(meta(updated="2024-02-01"))
    assert "x.md: updated: must be on or after the date published" in found
    assert "x.md: change_note: is required when 'updated' is given: say what changed" in found
    assert "x.md: updated: is required when 'change_note' is given" in problems_for(meta(change_note="Fixed."))


@pytest.mark.parametrize("text, slug", [
    ("disclosed in full", "disclosed-in-full"), ("Disclosed in part", "disclosed-in-part"),
    ("not held", "not-held"), ("refused", "refused"), ("neither confirm nor deny", "neither-confirm-nor-deny"),
    ("refused – cost limit (s.12)", "refused-cost-limit"), ("refused - cost limit (s.12)", "refused-cost-limit"),
    ("refused – vexatious or repeated (s.14)", "refused-vexatious"), ("already accessible (s.21)", "already-accessible"),
])
def test_outcomes_by_their_words(text, slug):
    front = meta(outcome=text, exemptions=["40(2)"] if slug in {"disclosed-in-part", "refused", "neither-confirm-nor-deny"} else None)
    assert validate(front, "D.", source="x.md").outcome == slug


def test_unknown_outcome_lists_the_choices():
    found = problems_for(meta(outcome="partly"))
    assert found[0].startswith("x.md: outcome: must be one of: disclosed in full; disclosed in part; not held;")


@pytest.mark.parametrize("outcome", ["disclosed in part", "refused", "neither confirm nor deny"])
def test_refusals_and_partial_disclosures_need_exemptions(outcome):
    found = problems_for(meta(outcome=outcome))
    assert f"x.md: exemptions: are required when the outcome is {outcome}: list the sections relied on" in found


def test_exemptions_get_their_names_and_are_checked():
    exemptions = ["40(2)", {"section": "s.31(1)(a)"}, {"section": "43(2)", "name": "Commercial interests"}]
    document = validate(meta(outcome="refused", exemptions=exemptions), "D.", source="x.md")
    assert document.exemptions == [
        {"section": "40(2)", "name": "Personal information"},
        {"section": "31(1)(a)", "name": "Law enforcement"},
        {"section": "43(2)", "name": "Commercial interests"},
    ]
    found = problems_for(meta(outcome="refused", exemptions=["99(1)", "40(2)", "40(2)"]))
    assert "x.md: exemptions[1]: section '99(1)' is not a known FOIA exemption (sections 21 to 44) or EIR exception (regulation 12 or 13)" in found
    assert "x.md: exemptions[3]: section 40(2) is listed twice" in found


def test_eir_exceptions():
    document = validate(meta(regime="EIR", outcome="refused", exemptions=["12(5)(b)"]), "D.", source="x.md")
    assert document.exemptions == [{"section": "12(5)(b)", "name": "The course of justice"}]
    assert any("exemptions[1]" in p for p in problems_for(meta(regime="EIR", outcome="refused", exemptions=["40(2)"])))


def test_answers_must_point_at_real_questions_once():
    found = problems_for(meta(answers=[{"questions": [1, 3], "text": "A"}, {"questions": [1], "text": "B"}, {"questions": "two"}]))
    assert "x.md: answers[1].questions: question 3 does not exist (there are 2)" in found
    assert "x.md: answers[2].questions: question 1 is already answered by an earlier answer" in found
    assert "x.md: answers[3].questions: must list the numbers of the questions it answers, such as [2, 3]" in found
    assert "x.md: answers[3].text: is required: the answer in Markdown" in found


def test_lists_are_checked():
    found = problems_for(meta(topics="Drones", questions=["", "Fine?"]))
    assert "x.md: topics: must be a list (one '- item' per line)" in found
    assert "x.md: questions[1]: must be non-empty text" in found
    assert "x.md: topics: must not repeat a topic" in problems_for(meta(topics=["Drones", "drones!"]))


def test_attachments_are_read_measured_and_checked(tmp_path):
    (tmp_path / "a.csv").write_text("a,b\n1,2\n")
    document = validate(meta(attachments=[{"title": "Table", "file": "a.csv", "type": "csv"}]), "D.", source="x.md", base_dir=tmp_path)
    assert document.attachments[0].size == 8 and document.attachments[0].kind == "CSV"
    assert document.attachments[0].media_type == "text/csv"
    found = problems_for(meta(attachments=[
        {"title": "Missing", "file": "gone.pdf", "type": "PDF"},
        {"title": "Escape", "file": "../secret.csv", "type": "CSV"},
        {"title": "Wrong type", "file": "a.csv", "type": "PDF"},
        {"title": "Wrong size", "file": "a.csv", "type": "CSV", "size": 3},
        {"file": "a.csv", "type": "EXE"},
    ]), base_dir=tmp_path)
    assert "x.md: attachments[1].file: gone.pdf does not exist" in found
    assert any(p.startswith("x.md: attachments[2].file: must be a relative path inside this response's folder") for p in found)
    assert "x.md: attachments[3].file: the name ends .csv, which is not a PDF file" in found
    assert "x.md: attachments[4].size: says 3 bytes but the file has 8: remove size, it is measured on import" in found
    assert "x.md: attachments[5].title: is required (200 characters or fewer)" in found
    assert any(p.startswith("x.md: attachments[5].type: must be one of PDF, CSV") for p in found)


def test_related_links_are_checked():
    document = validate(meta(related=[{"reference": "NMC-2024-0117"}, {"title": "ICO", "url": "https://ico.org.uk/"}]), "D.", source="x.md")
    assert document.related == [{"reference": "NMC-2024-0117", "title": ""}, {"title": "ICO", "url": "https://ico.org.uk/"}]
    found = problems_for(meta(related=[{"title": "Bad", "url": "javascript:alert(1)"}, {"title": "Proto", "url": "//evil.example"}]))
    assert "x.md: related[1].url: must be an https:// or http:// address, or a path on this site starting with /" in found
    assert "x.md: related[2].url: must be an https:// or http:// address, or a path on this site starting with /" in found


def test_front_matter_problems():
    assert [str(p) for p in parse("no front matter", source="x.md")] == [
        "x.md:1: front matter: the file must start with a line '---', then YAML, then a line '---'"]
    found = [str(p) for p in parse("---\ntitle: [unclosed\n---\nBody", source="x.md")]
    assert found[0].startswith("x.md:3: front matter: is not valid YAML")
    assert [str(p) for p in parse("---\n- a list\n---\nBody", source="x.md")] == [
        "x.md:2: front matter: must be a YAML mapping of field: value"]


def test_the_body_must_state_the_decision():
    assert "x.md: body: the Markdown after the front matter must state the decision" in problems_for(meta(), body="  \n")


def test_file_level_problems(tmp_path):
    path = tmp_path / "bad.md"
    path.write_bytes(b"\xff\xfe not utf-8")
    assert [str(p) for p in load_file(path, display="bad.md")] == ["bad.md:1: file: is not UTF-8 text: save it as UTF-8"]


# --- Markdown -------------------------------------------------------------------------

RENDER = MarkdownRenderer()


def rendered(text: str) -> BeautifulSoup:
    return BeautifulSoup(RENDER.render(text), "html.parser")


def test_markdown_gets_govuk_classes():
    html = rendered("# Heading\n\n## Sub\n\nText with [a link](https://example.org).\n\n- one\n- two\n\n1. first\n\n"
                    "| A | B |\n| --- | --- |\n| 1 | 2 |\n")
    assert html.select_one("h3.govuk-heading-m").text == "Heading"  # shifted below the page's h2s
    assert html.select_one("h4.govuk-heading-s").text == "Sub"
    assert html.select_one("p.govuk-body a.govuk-link")["href"] == "https://example.org"
    assert len(html.select("ul.govuk-list.govuk-list--bullet li")) == 2
    assert html.select_one("ol.govuk-list.govuk-list--number li").text == "first"
    assert html.select_one("table.govuk-table thead.govuk-table__head tr.govuk-table__row th.govuk-table__header").text == "A"
    assert html.select_one("tbody.govuk-table__body td.govuk-table__cell").text == "1"


@pytest.mark.parametrize("source", [
    "<script>alert(1)</script>",
    "Hello <img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD4=)",
    "<a href=\"javascript:alert(1)\">x</a>",
    "![img](javascript:alert(1))",
    "<iframe src=https://evil.example></iframe>",
])
def test_raw_html_and_script_links_are_neutralised(source):
    html = rendered(source)
    assert html.find(["script", "img", "iframe"]) is None
    for element in html.find_all(True):
        for name, value in element.attrs.items():
            assert not name.startswith("on")
            assert "javascript:" not in str(value).lower() and "data:" not in str(value).lower()
    assert all(link.get("rel") == ["noopener", "noreferrer"] for link in html.find_all("a"))


@pytest.mark.parametrize("text", [
    "Plain words.", "Quotes \"here\" and 'there'.", "Two\nlines", "Numbers 1. in the middle",
    "Ends with a colon:", "Unicode – dashes and £ signs", "A 1) thing", "x > y", "5 * 3", "a_b",
])
def test_plain_text_fast_path_matches_the_parser(text):
    fast = RENDER.render(text)
    full, _ = RENDER._render_markdown(text)
    assert fast == full
