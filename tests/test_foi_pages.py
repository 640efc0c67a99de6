"""The response page (the shipped example, element by element) and the disclosure log's GET form."""

import pytest

from tests.conftest import make_app
from tests.foi_fixtures import SHIPPED_REFERENCE, load_shipped, meta, write
from webapp.extensions import db
from webapp.foi.publish import import_path

MOPAC = ("https://www.london.gov.uk/programmes-strategies/mayors-office-policing-and-crime/"
         "governance-and-decision-making/mopac-decisions-0/met-integrated-policing-system-mips-full-business-case")


@pytest.fixture
def foi_app(tmp_path):
    app = make_app(tmp_path)
    load_shipped(app)
    return app


@pytest.fixture
def client(foi_app):
    return foi_app.test_client()


def text(element) -> str:
    return " ".join(element.get_text(" ").split())


# --- the response page ----------------------------------------------------------------

def test_shipped_response_renders_every_part_in_its_place(get_page):
    page = get_page(f"/foi/{SHIPPED_REFERENCE}")
    response = page.response
    assert response.status_code == 200
    assert page.title.text.startswith(f"The decision to buy and use the CONNECT IT system ({SHIPPED_REFERENCE}) – ")
    assert text(page.select_one("#reference")) == f"Freedom of information request reference no: {SHIPPED_REFERENCE}"
    assert page.select_one("main h1").text == "The decision to buy and use the CONNECT IT system"
    assert text(page.select_one(".app-outcome .govuk-tag")) == "Disclosed in full"

    facts = {text(row.select_one("dt")): text(row.select_one("dd")) for row in page.select(".app-response__facts .govuk-summary-list__row")}
    assert facts["Reference"] == SHIPPED_REFERENCE
    assert facts["Request received"] == "16 June 2023"
    assert facts["Responded"] == "14 August 2023"
    assert facts["Published"] == "14 August 2023"
    assert facts["Legislation"] == "Freedom of Information Act 2000"
    assert facts["Topics"] == "Information technology , Finance and procurement"

    request_heading = page.select_one("h2#request")
    assert text(request_heading.find_next_sibling("p")) == "I note you seek access to the following information:"
    questions = page.select("ol.app-questions > li")
    assert [q.get("id") for q in questions] == ["q1", "q2", "q3"]
    assert text(questions[0]) == "Please confirm who made the decision for the Met to buy and use the IT system Connect?"
    assert text(questions[1]).startswith("Presuming there was a trial period somewhere within the Met")
    assert text(questions[2]).endswith("fit to use for front line officers.")

    decision = [text(p) for p in page.select(".app-decision p.govuk-body")]
    assert decision == ["I have today decided to disclose the located information to you in full.",
                        "Please find below information pursuant to your request above."]

    answers = page.select("section.app-answer")
    assert len(answers) == 2
    assert text(answers[0].select_one("h3")) == "Answer to Q1"
    assert [text(p) for p in answers[0].select(".app-answer__question")] == [
        "Q1 - Please confirm who made the decision for the Met to buy and use the IT system Connect?"]
    link = answers[0].select_one(".app-answer__text p.govuk-body a.govuk-link")
    assert link.text == "MOPAC - Met Integrated Policing System(MiPS) Full Business Case"
    assert link["href"] == MOPAC
    assert text(answers[0].select_one(".app-answer__text p")).startswith("The process to select an integrated IT system")

    assert text(answers[1].select_one("h3")) == "Answer to Q2 and Q3"
    joint = [text(p) for p in answers[1].select(".app-answer__question")]
    assert joint[0].startswith("Q2 - Presuming there was a trial period")
    assert joint[1].startswith("Q3 - Please explain what process of due diligence")
    paragraphs = [text(p) for p in answers[1].select(".app-answer__text p.govuk-body")]
    assert len(paragraphs) == 3
    assert paragraphs[0].startswith("Due to the nature of an integrated IT solution")
    assert paragraphs[2].endswith("through the MPS involvement in a CONNECT national working group.")

    rights = page.select_one("h2#your-rights")
    assert rights.text == "If you are not happy with this response"
    assert "internal review" in text(rights.find_next_sibling("p"))
    ico = page.select_one(".govuk-inset-text a.govuk-link")
    assert ico["href"] == "https://ico.org.uk/make-a-complaint/"
    assert page.select_one("#exemptions") is None and page.select_one("#attachments") is None


def test_exemptions_attachments_related_and_updates(get_page):
    page = get_page("/foi/NMC-2024-0117")
    assert text(page.select_one(".app-outcome .govuk-tag")) == "Disclosed in part"
    rows = page.select(".app-exemptions .govuk-summary-list__row")
    assert [(text(r.select_one("dt")), text(r.select_one("dd"))) for r in rows] == [("Section 40(2)", "Personal information")]
    attachment = page.select_one(".app-attachment")
    assert attachment.select_one("a")["href"] == "/foi/NMC-2024-0117/NMC-2024-0117-dog-costs.csv"
    assert text(attachment.select_one(".app-attachment__meta")) == "CSV, 134 bytes"
    assert page.select_one(".app-answer__text table.govuk-table th.govuk-table__header").text.strip() == "Financial year"

    page = get_page("/foi/NMC-2024-0342")
    facts = {text(r.select_one("dt")): text(r.select_one("dd")) for r in page.select(".app-response__facts .govuk-summary-list__row")}
    assert facts["Updated"] == "3 June 2024 Added the hovercraft operating policy, which was missing from the first version."
    assert facts["Legislation"] == "Environmental Information Regulations 2004"
    metas = [text(m) for m in page.select(".app-attachment__meta")]
    assert metas == ["TXT, 189 bytes", "PDF, 863 bytes"]
    related = [(a.text, a["href"]) for a in page.select(".app-related a")]
    assert related == [("Police dog numbers and kennel costs", "/foi/NMC-2024-0117"),
                       ("Environmental Information Regulations 2004 (legislation.gov.uk)",
                        "https://www.legislation.gov.uk/uksi/2004/3391/contents")]


def test_attachments_are_served_with_their_type(client):
    response = client.get("/foi/NMC-2024-0342/NMC-2024-0342-hovercraft-policy.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-1.4")
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox; frame-ancestors 'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert client.get("/foi/NMC-2024-0342/missing.pdf").status_code == 404
    assert client.get("/foi/NMC-2024-0117/NMC-2024-0342-hovercraft-policy.pdf").status_code == 404


def test_reference_addresses_are_case_insensitive_but_canonical(client):
    response = client.get("/foi/nmc-2024-0117")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/foi/NMC-2024-0117")


@pytest.mark.parametrize("path", ["/foi/NO-SUCH-REF", "/foi/" + "x" * 300, "/foi/NO-SUCH.json"])
def test_unknown_reference_is_a_404_that_offers_the_search(get_page, path):
    page = get_page(path, status=404)
    response = page.response
    assert response.status_code == 404
    assert page.select_one("main h1").text == "Page not found"
    assert page.select_one("main a[href='/foi']").text == "search the FOI responses"


def test_markdown_script_is_neutralised_on_the_page(tmp_path, get_page):
    app = make_app(tmp_path)
    write(tmp_path / "foi", "x.md", meta(answers=[{"questions": [1], "text": "<script>alert(1)</script> [x](javascript:alert(1))"}]),
          body="<img src=x onerror=alert(1)> Decision.")
    with app.app_context():
        import_path(db.engine, tmp_path / "foi")
    page = get_page("/foi/TEST-0001", client=app.test_client())
    main = page.select_one("main")
    assert main.find("script") is None and main.find("img") is None
    assert not [a for a in main.find_all("a") if a.get("href", "").lower().startswith("javascript")]
    assert "<script>alert(1)</script>" in text(main.select_one(".app-answer__text"))  # shown as text


def test_response_pages_are_cached_by_content_version(foi_app, client):
    client.get(f"/foi/{SHIPPED_REFERENCE}")
    client.get("/foi")
    assert len(foi_app.extensions["page_cache"]) == 2


# --- the log --------------------------------------------------------------------------

def result_references(page):
    return [a["href"].rsplit("/", 1)[1] for a in page.select(".app-result h3 a")]


def test_log_lists_every_response_newest_first(get_page):
    page = get_page("/foi")
    assert page.select_one("main h1").text == "FOI responses"
    assert text(page.select_one("#result-count")) == "10 responses"
    assert result_references(page)[0] == "FOI-NMC-25-000981"
    assert result_references(page)[-1] == SHIPPED_REFERENCE
    form = page.select_one("form.app-log-form")
    assert form["method"] == "get" and form["action"] == "/foi"
    assert page.select_one("input#q")["type"] == "search"
    assert page.select_one(".govuk-pagination") is None


def test_search_highlights_and_keeps_the_words(get_page):
    page = get_page("/foi?q=connect+system")
    assert text(page.select_one("#result-count")) == "1 response found"
    assert [m.text for m in page.select(".app-result h3 mark")] == ["CONNECT", "system"]
    assert page.select_one("input#q")["value"] == "connect system"
    assert page.title.text.startswith("Search results for ‘connect system’ – ")


def test_every_filter_is_kept_in_the_form(get_page):
    page = get_page("/foi?q=horses&topic=dogs-and-horses&outcome=disclosed-in-part&exemption=43(2)"
                          "&published-from-day=1&published-from-month=1&published-from-year=2025&sort=relevance")
    assert result_references(page) == ["FOI-NMC-25-000981"]
    assert page.select_one("input[name=topic][value=dogs-and-horses]").has_attr("checked")
    assert page.select_one("input[name=outcome][value=disclosed-in-part]").has_attr("checked")
    assert page.select_one("input[name=exemption][value='43(2)']").has_attr("checked")
    assert page.select_one("input[name=published-from-year]")["value"] == "2025"
    assert page.select_one("select#sort option[selected]")["value"] == "relevance"
    assert page.select_one("details.govuk-details").has_attr("open")


def test_filter_links_from_a_response_work(get_page):
    page = get_page("/foi?topic=drones")
    assert result_references(page) == ["NMC-2024-0902"]


def test_empty_state(get_page):
    page = get_page("/foi?q=zeppelin")
    assert text(page.select_one("#result-count")) == "0 responses found"
    assert text(page.select_one("#results p.govuk-body")) == "No responses match your search."
    assert page.select_one("#results a[href='/foi']") is not None


@pytest.mark.parametrize("query, field, message", [
    ("published-from-day=31&published-from-month=2&published-from-year=2024", "published-from-day", "Published from must be a real date"),
    ("published-to-day=1&published-to-year=2024", "published-to-month", "Published to must include a month"),
    ("published-from-day=1&published-from-month=1&published-from-year=24", "published-from-year", "Year must include 4 numbers"),
    ("published-from-day=a&published-from-month=b&published-from-year=c", "published-from-day", "Published from must be a real date"),
    ("published-from-day=2&published-from-month=1&published-from-year=2025&published-to-day=1&published-to-month=1&published-to-year=2025",
     "published-to-day", "Published to must be the same as or after published from"),
    ("outcome=maybe", "outcome", "Select an outcome from the list"),
    ("topic=ghosts", "topic", "Select a topic from the list"),
    ("exemption=99", "exemption", "Select an exemption from the list"),
    ("sort=sideways", "sort", "Select how to sort the responses from the list"),
    ("q=" + "x" * 201, "q", "Search terms must be 200 characters or fewer"),
])
def test_invalid_parameters_get_a_govuk_validation_message(get_page, query, field, message):
    page = get_page(f"/foi?{query}")
    response = page.response
    assert response.status_code == 200
    assert page.title.text.startswith("Error: ")
    summary = page.select_one(".govuk-error-summary")
    links = [(a["href"], a.text.strip()) for a in summary.select(".govuk-error-summary__list a")]
    assert links == [(f"#{field}", message)]
    assert page.select_one(f"#{field}") is not None  # the link has somewhere to go
    assert page.select(".govuk-error-message")
    assert page.select(".app-result") == []


def test_huge_values_never_break_the_page(client, get_page):
    response = client.get("/foi?q=" + "word " * 2000 + "&page=" + "9" * 50 + "&topic=" + "t" * 5000)
    assert response.status_code in (200, 414)
    page = get_page("/foi?" + "&".join(f"outcome=x{i}" for i in range(200)))
    response = page.response
    assert response.status_code == 200
    assert page.select_one(".govuk-error-summary") is not None


@pytest.mark.parametrize("value", ["0", "-1", "abc", "1.5", ""])
def test_bad_page_numbers_mean_page_one(get_page, value):
    page = get_page(f"/foi?page={value}")
    assert text(page.select_one("#result-count")) == "10 responses"
    assert result_references(page)[0] == "FOI-NMC-25-000981"


def test_pagination(tmp_path, get_page):
    app = make_app(tmp_path)
    app.test_cli_runner().invoke(args=["foi", "generate-sample", "--count", "45", "--publish"])
    client = app.test_client()
    page = get_page("/foi?q=fictional", client=client)
    assert text(page.select_one("#result-count")) == "45 responses found"
    nav = page.select_one("nav.govuk-pagination")
    assert nav["aria-label"] == "Search results pages"
    assert [a.text.strip() for a in nav.select(".govuk-pagination__item a")] == ["1", "2", "3"]
    assert nav.select_one(".govuk-pagination__item--current a")["aria-current"] == "page"
    assert nav.select_one(".govuk-pagination__next a")["href"] == "/foi?q=fictional&page=2"
    assert nav.select_one(".govuk-pagination__prev") is None
    last = get_page("/foi?q=fictional&page=3", client=client)
    assert len(last.select(".app-result")) == 5
    assert last.select_one(".govuk-pagination__next") is None
    assert last.select_one(".govuk-pagination__prev a")["href"] == "/foi?q=fictional&page=2"
    assert last.select_one("ol.app-result-list")["start"] == "41"
    assert last.title.text.startswith("Search results for ‘fictional’ (page 3 of 3) – ")
    beyond_page = get_page("/foi?q=fictional&page=4", client=client)
    beyond = beyond_page.response
    assert beyond.status_code == 200
    assert text(beyond_page.select_one("#results h2")) == "There is no page 4"
    assert beyond_page.select_one("#results a[href='/foi?q=fictional&page=3']").text == "Go to the last page"


def test_page_numbers_with_ellipses():
    from webapp.foi.pages import page_numbers

    assert page_numbers(1, 1) == [1]
    assert page_numbers(1, 10) == [1, 2, None, 10]
    assert page_numbers(5, 10) == [1, None, 4, 5, 6, None, 10]
    assert page_numbers(10, 10) == [1, None, 9, 10]
    assert page_numbers(3, 5) == [1, 2, 3, 4, 5]


def test_the_home_and_404_pages_link_to_the_log(get_page):
    assert get_page("/").select_one("main a[href='/foi']") is not None


def test_an_empty_log_says_so(tmp_path, get_page):
    page = get_page("/foi", client=make_app(tmp_path).test_client())
    assert text(page.select_one("#result-count")) == "0 responses"
    assert text(page.select_one("#results p.govuk-body")) == "No responses have been published yet. Please come back later."


def test_a_very_broad_search_says_it_is_newest_first(get_page, monkeypatch):
    from webapp.foi import search as search_module

    monkeypatch.setattr(search_module, "RELEVANCE_LIMIT", 2)
    page = get_page("/foi?q=fictional")
    note = page.select_one("#results .govuk-inset-text")
    assert text(note).startswith("Your search matches so many responses")
    assert "newest first" in text(note)
    assert page.select_one("select#sort option[selected]")["value"] == "relevance"  # what was asked is kept
