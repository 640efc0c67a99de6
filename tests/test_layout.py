"""The one layout: order of landmarks, title pattern, branding from settings, no crown."""

import pytest

from tests.conftest import make_app


def test_home_page_layout_in_order(get_page):
    page = get_page("/")
    body = page.body
    order = [
        body.select_one("a.app-quick-exit-skip-link"),
        body.select_one("a.govuk-skip-link[href='#main-content']"),
        body.select_one(".app-quick-exit__button"),
        body.select_one("header .govuk-generic-header"),
        body.select_one("header .govuk-service-navigation"),
        body.select_one("header .govuk-phase-banner"),
        body.select_one("main#main-content"),
        body.select_one("footer .govuk-footer"),
    ]
    assert all(order), order
    everything = list(body.descendants)
    positions = [everything.index(element) for element in order]
    assert positions == sorted(positions)
    assert page.html["lang"] == "en"
    assert body.select_one("a.govuk-skip-link")["href"] == "/leave"  # first in the tab order


def test_title_pattern_and_branding_come_from_settings(tmp_path, get_page):
    app = make_app(tmp_path, ORGANISATION_NAME="Northshire Constabulary", SERVICE_NAME="FOI log")
    page = get_page("/", client=app.test_client())
    assert page.title.get_text() == "Home – FOI log – Northshire Constabulary"
    assert page.select_one(".govuk-generic-header__homepage-link").get_text(strip=True) == "Northshire Constabulary"
    assert page.select_one(".govuk-service-navigation__service-name").get_text(strip=True) == "FOI log"
    assert page.select_one("h1").get_text(strip=True) == "FOI log"


def test_not_gov_uk_no_crown_no_gds_font(client, get_page):
    page = get_page("/")
    assert page.select("svg") == []  # the crown and crest are inline SVGs in GOV.UK's macros
    assert not page.select(".govuk-header, .govuk-logo, .govuk-footer__crown, .govuk-footer__copyright-logo")
    assert "GOV.UK" not in page.get_text()
    icon = page.select("link[rel~=icon]")
    assert [link["href"].split("/")[-1].split(".")[0] for link in icon] == ["favicon"]
    css_href = page.select_one("link[rel=stylesheet]")["href"]
    css = client.get(css_href).get_data(as_text=True)
    assert "GDS Transport" not in css
    assert "@font-face" not in css
    assert "system-ui" in css


def test_service_navigation_marks_current_page(get_page):
    page = get_page("/")
    items = page.select(".govuk-service-navigation__item a")
    assert [(a.get_text(strip=True), a["href"]) for a in items] == [("Home", "/"), ("FOI responses", "/foi")]
    assert items[0]["aria-current"] == "page"
    assert not items[1].has_attr("aria-current")


def test_phase_banner_wording_and_feedback_link_with_page(get_page):
    page = get_page("/")
    banner = page.select_one(".govuk-phase-banner")
    assert banner.select_one(".govuk-tag").get_text(strip=True) == "Beta"
    text = " ".join(banner.select_one(".govuk-phase-banner__text").get_text().split())
    assert text == (
        "This site is a beta, which means it's a work in progress and we'll be adding more to it "
        "over the next few weeks. Your feedback helps us make things better, so please let us know "
        "what you think."
    )
    link = banner.select_one("a")
    assert link.get_text() == "let us know what you think"
    assert link["href"] == "/feedback?from=%2F"


def test_feedback_link_carries_the_current_path(get_page):
    page = get_page("/no-such-page", status=404)
    assert page.select_one(".govuk-phase-banner a")["href"] == "/feedback?from=%2Fno-such-page"


def test_footer_links(tmp_path, get_page):
    app = make_app(tmp_path, CONTACT_URL="https://example.org/contact-us")
    page = get_page("/", client=app.test_client())
    links = [(a.get_text(strip=True), a["href"]) for a in page.select("footer .govuk-footer__link")]
    assert links == [
        ("Accessibility statement", "/accessibility-statement"),
        ("Cookies", "/cookies"),
        ("Privacy", "/privacy"),
        ("Staying safe online", "/staying-safe-online"),
        ("Contact", "https://example.org/contact-us"),
    ]


def test_home_links_to_the_log(get_page):
    page = get_page("/")
    assert page.select_one("main a[href='/foi']").get_text(strip=True) == "Search and browse FOI responses"


def test_no_inline_styles_or_handlers_and_one_known_inline_script(get_page):
    page = get_page("/")
    assert page.select("[style]") == []
    assert page.select("style") == []
    for element in page.find_all(True):
        assert not [name for name in element.attrs if name.startswith("on")], element.name
    inline = [script for script in page.select("script") if not script.get("src")]
    assert len(inline) == 1  # govuk-frontend-jinja's template script, allowed by hash
    external = page.select("script[src]")
    # The quick exit's classic script first in <head>, then the one module bundle.
    assert [script.get("type") for script in external] == [None, "module"]
    assert external[0]["src"].split("/")[-1].startswith("quick-exit.")


@pytest.mark.parametrize("path", ["/", "/no-such-page"])
def test_a_plain_get_sets_no_cookie(get_page, path):
    response = get_page(path, status=404 if path == "/no-such-page" else 200).response
    assert "Set-Cookie" not in response.headers
