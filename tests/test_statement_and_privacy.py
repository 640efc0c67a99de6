"""The accessibility statement and privacy notice are built from settings, say what the
regulations require, and are linked from every page's footer; /robots.txt lets crawlers in."""

from datetime import date

import pytest

from tests.conftest import make_app
from webapp import config
from webapp.config import PROJECT_ROOT, ConfigError


def headings(page, level="h2"):
    return [h.get_text(" ", strip=True) for h in page.select(f"main {level}")]


def hrefs(page):
    return [a["href"] for a in page.select("main a[href]")]


def test_statement_follows_the_sample_sections(get_page):
    page = get_page("/accessibility-statement")
    assert page.select_one("main h1").get_text(strip=True) == "Accessibility statement for Freedom of information responses"
    assert headings(page) == [
        "How accessible this website is",
        "Feedback and contact information",
        "Reporting accessibility problems with this website",
        "Enforcement procedure",
        "Technical information about this website's accessibility",
        "Non-accessible content",
        "What we're doing to improve accessibility",
        "Preparation of this accessibility statement",
    ]
    assert headings(page, "h3") == [
        "Compliance status",
        "Disproportionate burden",
        "Content that's not within the scope of the accessibility regulations",
    ]
    assert page.select_one("main .govuk-inset-text").get_text(strip=True).startswith("This website is fully compliant")
    assert page.select_one("title").get_text(strip=True).startswith("Accessibility statement – ")
    assert page.select_one('meta[name="description"]')["content"]


def test_statement_is_built_from_settings(tmp_path, get_page):
    app = make_app(
        tmp_path, ORGANISATION_NAME="Northshire Police", CONTACT_EMAIL="access@northshire.example",
        CONTACT_PHONE="01632 960 123", ACCESSIBILITY_ENFORCEMENT_BODY="Test Enforcement Body",
        ACCESSIBILITY_STATEMENT_PREPARED=date(2025, 3, 1), ACCESSIBILITY_STATEMENT_REVIEWED=date(2026, 11, 2),
    )
    page = get_page("/accessibility-statement", client=app.test_client())
    links = hrefs(page)
    assert "mailto:access@northshire.example" in links
    assert "tel:01632960123" in links
    assert page.find("a", href="tel:01632960123").get_text(strip=True) == "01632 960 123"
    assert "/feedback?from=%2Faccessibility-statement" in links
    assert "https://www.equalityadvisoryservice.com/" in links
    assert "https://www.equalityni.org/Home" in links
    enforcement = page.find("h2", string="Enforcement procedure").find_next("p").get_text(" ", strip=True)
    assert enforcement.startswith("The Test Enforcement Body is responsible for enforcing")
    preparation = page.find("h2", string="Preparation of this accessibility statement").find_next("p")
    assert preparation.get_text(" ", strip=True) == (
        "This statement was prepared on 1 March 2025. It was last reviewed on 2 November 2026."
    )
    technical = page.find("h2", string="Technical information about this website's accessibility").find_next("p")
    assert technical.get_text(" ", strip=True).startswith("Northshire Police is committed")


def test_statement_describes_the_checks_that_exist():
    """The statement's "how we tested" list is true only while each gate exists."""
    for gate in ("html_validity", "lighthouse", "reflow", "keyboard"):
        assert (PROJECT_ROOT / "tests" / "quality" / f"test_{gate}.py").exists(), gate
    assert (PROJECT_ROOT / "tests" / "browser" / "axe.py").exists()


def test_privacy_notice_covers_what_is_collected_and_rights(get_page):
    page = get_page("/privacy")
    assert page.select_one("main h1").get_text(strip=True) == "Privacy notice"
    assert headings(page) == [
        "Who we are",
        "What we collect and why",
        "Our lawful basis",
        "How long we keep it",
        "Who we share it with",
        "Your rights",
        "Withdrawing your consent",
        "Complaints",
    ]
    assert headings(page, "h3") == ["Your feedback", "Cookies", "Server logs"]
    assert [code.get_text() for code in page.select("main code")].count("cookies_policy") >= 2
    withdraw = page.find("h2", string="Withdrawing your consent").find_next("p")
    assert withdraw.find("a")["href"] == "/cookies"
    complaints = page.find("h2", string="Complaints").find_next("p")
    assert complaints.find("a")["href"] == "https://ico.org.uk/make-a-complaint/"


def test_privacy_notice_is_built_from_settings(tmp_path, get_page):
    app = make_app(
        tmp_path, DATA_CONTROLLER="Northshire Police", DATA_CONTROLLER_ADDRESS="1 High Street, Northtown",
        DPO_EMAIL="dpo@northshire.example", FEEDBACK_RETENTION_DAYS=90,
    )
    page = get_page("/privacy", client=app.test_client())
    who = page.find("h2", string="Who we are").find_next("p").get_text(" ", strip=True)
    assert who == ("Northshire Police is the data controller for the information this website collects. "
                   "Our address is 1 High Street, Northtown.")
    assert "mailto:dpo@northshire.example" in hrefs(page)
    retention = page.find("h2", string="How long we keep it").find_next("ul").find("li")
    assert retention.get_text(" ", strip=True).startswith("Feedback answers: 90 days after you send them.")
    assert retention.find("code").get_text() == "flask feedback purge"


@pytest.mark.parametrize("path", ["/", "/accessibility-statement", "/privacy", "/no-such-page"])
def test_both_are_linked_from_every_footer(get_page, path):
    page = get_page(path, status=404 if path == "/no-such-page" else 200)
    links = [a["href"] for a in page.select(".govuk-footer a")]
    assert "/accessibility-statement" in links
    assert "/privacy" in links


def test_pages_are_cached_and_set_no_cookie(get_page, app):
    for path in ("/accessibility-statement", "/privacy"):
        first = get_page(path).response
        assert first.status_code == 200 and "Set-Cookie" not in first.headers
    assert len(app.extensions["page_cache"]) >= 2


def test_robots_txt_lets_crawlers_read_every_page(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True).splitlines() == ["User-agent: *", "Allow: /"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_settings_defaults_and_validation():
    settings = config.load({})
    assert settings["FEEDBACK_RETENTION_DAYS"] == 365
    assert settings["CONTACT_EMAIL"] == "foi@example.org"
    assert settings["DATA_CONTROLLER"] == settings["ORGANISATION_NAME"]
    assert settings["ACCESSIBILITY_STATEMENT_PREPARED"] == config.STATEMENT_PREPARED
    custom = config.load({
        "ORGANISATION_NAME": "Northshire Police", "FEEDBACK_RETENTION_DAYS": "30",
        "ACCESSIBILITY_STATEMENT_REVIEWED": "2027-01-15",
    })
    assert custom["DATA_CONTROLLER"] == "Northshire Police"
    assert custom["FEEDBACK_RETENTION_DAYS"] == 30
    assert custom["ACCESSIBILITY_STATEMENT_REVIEWED"] == date(2027, 1, 15)
    with pytest.raises(ConfigError, match="FEEDBACK_RETENTION_DAYS must be at least 1"):
        config.load({"FEEDBACK_RETENTION_DAYS": "0"})
    with pytest.raises(ConfigError, match="ACCESSIBILITY_STATEMENT_PREPARED must be a date"):
        config.load({"ACCESSIBILITY_STATEMENT_PREPARED": "1 March 2025"})


def test_every_page_has_a_meta_description(get_page):
    """Search results (and Lighthouse's SEO audit) need one; pages without their own get
    one from their title."""
    described = get_page("/privacy").select_one('meta[name="description"]')["content"]
    assert described.startswith("What personal information")
    fallback = get_page("/no-such-page", status=404).select_one('meta[name="description"]')["content"]
    assert fallback == "Page not found – Freedom of information responses, published by Example Police Service."
