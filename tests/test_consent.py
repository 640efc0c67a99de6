"""The cookie banner, the consent POST, the cookies page, analytics only with consent,
and the page cache never replaying someone else's consent state."""

from http.cookies import SimpleCookie

import pytest

from tests.conftest import make_app, soup
from webapp.consent import policy
from webapp.security import content_security_policy

SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}
BANNER_TEXT = (
    "We use some essential cookies to make our website work. We’d like to set additional cookies "
    "so we can remember your preferences and understand how you use our site."
)
SAVED_TEXT = (
    "Your cookie preferences have been saved. You can update your cookie settings at any time "
    "on the cookies page."
)
GA4 = {"ANALYTICS_PROVIDER": "ga4", "ANALYTICS_SITE_ID": "G-TEST123"}  # Google's script URL by default


def set_cookies(response) -> dict[str, SimpleCookie]:
    """Each Set-Cookie header parsed, by cookie name (several per name kept in a list)."""
    parsed: dict[str, list] = {}
    for header in response.headers.getlist("Set-Cookie"):
        cookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            parsed.setdefault(name, []).append(morsel)
    return parsed


def banner(response):
    return soup(response).select_one("form.app-cookie-banner")


def visible_messages(response):
    return [m["data-cookie-banner-message"] for m in soup(response).select("[data-cookie-banner-message]:not([hidden])")]


def choose(client, choice, return_to="/", **headers):
    return client.post("/cookies/consent", data={"cookies": choice, "return_to": return_to},
                       headers={**SAME_ORIGIN, **headers})


# The banner -----------------------------------------------------------------------


def test_first_visit_shows_the_banner_first_in_body_and_sets_no_cookie(get_page, app):
    response = get_page("/").response
    assert response.headers.getlist("Set-Cookie") == []
    body = soup(response).body
    elements = [child for child in body.find_all(recursive=False) if child.name != "script"]
    # Only the quick exit's "Leave this site" link comes before the banner (safety first).
    assert elements[0].select_one("a.govuk-skip-link")["href"] == "/leave"
    assert elements[1].name == "form" and "app-cookie-banner" in elements[1]["class"]
    assert elements[2].select_one("a.govuk-skip-link")["href"] == "#main-content"  # in its landmark
    form = elements[1]
    assert form["method"] == "post" and form["action"] == "/cookies/consent"
    assert form.select_one("input[name=return_to]")["value"] == "/"
    region = form.select_one(".govuk-cookie-banner")
    assert region["aria-label"] == f"Cookies on {app.config['SERVICE_NAME']}"
    question = form.select_one("[data-cookie-banner-message=question]")
    assert question.select_one("h2").get_text(strip=True) == f"Cookies on {app.config['SERVICE_NAME']}"
    assert " ".join(p.get_text(strip=True) for p in question.select(".govuk-cookie-banner__content p")) == BANNER_TEXT
    buttons = question.select("button")
    assert [(b.get_text(strip=True), b["name"], b["value"], b["type"]) for b in buttons] == [
        ("Accept additional cookies", "cookies", "accept", "submit"),
        ("Reject additional cookies", "cookies", "reject", "submit"),
    ]
    assert buttons[0]["class"] == buttons[1]["class"]  # equal weight
    link = question.select_one("a")
    assert (link.get_text(strip=True), link["href"]) == ("View cookies", "/cookies")
    assert visible_messages(response) == ["question"]


def test_banner_return_path_keeps_the_query(get_page):
    response = get_page("/foi?page=2&q=connect").response
    assert banner(response).select_one("input[name=return_to]")["value"] == "/foi?page=2&q=connect"


def test_banner_not_on_the_cookies_page(get_page):
    assert banner(get_page("/cookies")) is None


def test_banner_on_error_pages_too(get_page):
    assert banner(get_page("/no-such-page", status=404)) is not None


@pytest.mark.parametrize("choice, state", [("accept", "accepted"), ("reject", "rejected")])
def test_choice_without_javascript_redirects_back_with_confirmation(client, choice, state, get_page):
    response = choose(client, choice, "/foi?q=1")
    assert response.status_code == 303
    assert response.headers["Location"] == "/foi?q=1"
    assert response.headers["Cache-Control"] == "no-store"
    cookies = set_cookies(response)
    consent_cookie = cookies["cookies_policy"][0]
    assert consent_cookie["httponly"] and consent_cookie["samesite"] == "Lax"
    assert consent_cookie["max-age"] == str(365 * 24 * 3600) and consent_cookie["path"] == "/"
    assert not consent_cookie["secure"]
    assert cookies["cookies_confirmation"][0]["max-age"] == "300"

    page = get_page("/foi?q=1").response
    assert visible_messages(page) == [state]
    message = soup(page).select_one(f"[data-cookie-banner-message={state}]")
    assert message["role"] == "alert" and message["tabindex"] == "-1"
    text = message.select_one(".govuk-cookie-banner__content").get_text(" ", strip=True)
    assert text == f"You’ve {state} additional cookies. You can change your cookie settings at any time."
    assert message.select_one("a")["href"] == "/cookies"
    hide = message.select_one("button[name=hide]")
    assert hide.get_text(strip=True) == "Hide cookie message" and hide["type"] == "submit"
    # The page consumed the confirmation: it is deleted, and the next page has no banner.
    assert set_cookies(page)["cookies_confirmation"][0]["max-age"] == "0"
    assert banner(get_page("/foi?q=1")) is None


def test_consent_cookie_is_secure_over_https(client):
    response = client.post("/cookies/consent", data={"cookies": "accept"}, base_url="https://localhost",
                           headers=SAME_ORIGIN)
    assert set_cookies(response)["cookies_policy"][0]["secure"]


def test_hide_cookie_message_without_javascript(client, get_page):
    choose(client, "accept", "/")
    response = client.post("/cookies/consent", data={"hide": "1", "return_to": "/"}, headers=SAME_ORIGIN)
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert set_cookies(response)["cookies_confirmation"][0]["max-age"] == "0"
    assert "cookies_policy" not in set_cookies(response)
    assert banner(get_page("/")) is None


def test_choice_with_javascript_gets_json_and_no_confirmation_cookie(client, get_page):
    response = choose(client, "reject", "/", Accept="application/json")
    assert response.status_code == 200
    assert response.get_json() == {"cookies": "rejected"}
    assert "cookies_confirmation" not in set_cookies(response)
    assert policy.load(set_cookies(response)["cookies_policy"][0].value, "test-secret-key-0123456789abcdef0123456789abcdef") is not None
    assert banner(get_page("/")) is None


@pytest.mark.parametrize("data", [{}, {"cookies": "maybe"}, {"cookies": ""}])
def test_bad_choice_gets_the_400_page(post_page, data):
    response = post_page("/cookies/consent", data=data, headers=SAME_ORIGIN, status=400).response
    assert response.status_code == 400
    assert soup(response).select_one("h1").get_text(strip=True) == "Sorry, there is a problem with your request"
    assert response.headers.getlist("Set-Cookie") == []


@pytest.mark.parametrize(
    "return_to",
    ["https://evil.example/", "//evil.example", "/\\evil.example", "\\\\evil.example", "/%2F%2Fevil.example",
     "/%5Cevil.example", "javascript:alert(1)", "/%252F%252Fevil.example", "/foi\r\nSet-Cookie: x=1", "", None],
)
def test_hostile_return_paths_fall_back_to_home(client, return_to):
    data = {"cookies": "accept"} | ({} if return_to is None else {"return_to": return_to})
    response = client.post("/cookies/consent", data=data, headers=SAME_ORIGIN)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


# Cross-site forgery: fetch metadata, then Origin -------------------------------------


@pytest.mark.parametrize(
    "headers, status",
    [
        ({"Sec-Fetch-Site": "same-origin"}, 303),
        ({"Sec-Fetch-Site": "same-origin", "Origin": "https://evil.example"}, 303),
        ({"Sec-Fetch-Site": "cross-site"}, 403),
        ({"Sec-Fetch-Site": "same-site"}, 403),
        ({"Sec-Fetch-Site": "none"}, 403),
        ({"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost"}, 403),
        ({"Origin": "http://localhost"}, 303),
        ({"Origin": "https://localhost"}, 403),
        ({"Origin": "http://evil.example"}, 403),
        ({"Origin": "null"}, 403),
        ({"Origin": "http://localhost.evil.example"}, 403),
        ({}, 403),
    ],
)
@pytest.mark.parametrize("path", ["/cookies/consent", "/cookies"])
def test_only_same_origin_posts_are_accepted(client, headers, status, path):
    data = {"cookies": "accept", "functional": "yes", "analytics": "yes"}
    response = client.post(path, data=data, headers=headers)
    assert response.status_code == status
    if status == 403:
        assert soup(response).select_one("h1").get_text(strip=True) == "Sorry, we could not accept that request"
        assert response.headers.getlist("Set-Cookie") == []


# The consent cookie as the server reads it ---------------------------------------------


def test_tampered_cookie_shows_the_banner_again(client, get_page):
    choose(client, "accept")
    value = client.get_cookie("cookies_policy").value
    client.set_cookie("cookies_policy", value[:-3] + "abc")
    response = get_page("/").response
    assert visible_messages(response) == ["question"]


def test_raising_the_policy_version_asks_again(tmp_path, get_page):
    app = make_app(tmp_path)
    client = app.test_client()
    choose(client, "accept")
    client.get("/")  # shows and consumes the confirmation
    assert banner(get_page("/", client=client)) is None
    app.config["COOKIE_POLICY_VERSION"] = 2
    app.extensions["page_cache"].clear()
    assert visible_messages(get_page("/", client=client)) == ["question"]


def test_rotated_secret_key_keeps_the_choice(tmp_path, get_page):
    old = make_app(tmp_path, SECRET_KEY="old-secret-" * 4)
    client = old.test_client()
    choose(client, "accept")
    value = client.get_cookie("cookies_policy").value

    rotated = make_app(tmp_path, SECRET_KEY="new-secret-" * 4, SECRET_KEY_FALLBACKS=["old-secret-" * 4]).test_client()
    rotated.set_cookie("cookies_policy", value)
    assert banner(get_page("/", client=rotated)) is None

    forgotten = make_app(tmp_path, SECRET_KEY="new-secret-" * 4).test_client()
    forgotten.set_cookie("cookies_policy", value)
    assert visible_messages(get_page("/", client=forgotten)) == ["question"]


# The page cache -----------------------------------------------------------------------


def test_page_cache_varies_by_the_consent_cookies(app):
    assert {"cookies_policy", "cookies_confirmation"} <= app.extensions["page_cache"].vary_cookies


def test_confirmation_is_never_replayed_from_the_cache(app, get_page):
    first, second = app.test_client(), app.test_client()
    choose(first, "accept", "/")
    confirmed = get_page("/", client=first).response
    assert visible_messages(confirmed) == ["accepted"]
    assert len(app.extensions["page_cache"]) == 0  # it set a cookie, so it was not stored
    # Someone with the same consent cookie but no confirmation sees no confirmation...
    second.set_cookie("cookies_policy", first.get_cookie("cookies_policy").value)
    assert banner(get_page("/", client=second)) is None
    # ...and a stale confirmation cookie that does not match the choice is ignored.
    second.set_cookie("cookies_confirmation", "rejected")
    assert banner(get_page("/", client=second)) is None
    # A visitor without a choice is never served the page cached for one with it.
    assert visible_messages(get_page("/", client=app.test_client())) == ["question"]


def test_forged_confirmation_without_consent_shows_the_question(client, get_page):
    client.set_cookie("cookies_confirmation", "accepted")
    assert visible_messages(get_page("/")) == ["question"]


# The cookies page -------------------------------------------------------------------------


def radios(response, name):
    return {item["value"]: item.has_attr("checked") for item in soup(response).select(f"input[name={name}]")}


def test_cookies_page_lists_registry_and_defaults_to_no(get_page):
    page = get_page("/cookies")
    response = page.response
    assert response.status_code == 200
    assert page.select_one("h1").get_text(strip=True) == "Cookies"
    headings = [h.get_text(strip=True) for h in page.select("main h2.govuk-heading-l")]
    assert headings == [category.name for category in policy.CATEGORIES]
    names = [row.select_one("th").get_text(strip=True) for row in page.select("table tbody tr")]
    assert names == [cookie.name for cookie in policy.cookies_in("essential")]
    assert radios(response, "functional") == {"yes": False, "no": True}
    assert radios(response, "analytics") == {"yes": False, "no": True}
    form = page.select_one("main form")
    assert form["method"] == "post" and form["action"] == "/cookies"
    assert form.select_one("button").get_text(strip=True) == "Save cookie settings"
    assert response.headers.getlist("Set-Cookie") == []


def test_cookies_page_lists_the_configured_analytics_cookies(tmp_path, get_page):
    response = get_page("/cookies", client=make_app(tmp_path, **GA4).test_client()).response
    names = [row.select_one("th").get_text(strip=True) for row in soup(response).select("table tbody tr")]
    assert "_ga" in names and "_ga_<measurement id>" in names
    assert not any(name.startswith("_pk_") for name in names)


def test_cookies_page_shows_the_saved_choice(client, get_page):
    choose(client, "accept")
    response = get_page("/cookies").response
    assert radios(response, "analytics") == {"yes": True, "no": False}
    assert radios(response, "functional") == {"yes": True, "no": False}


def test_saving_settings_shows_success_and_way_back(client, get_page):
    page = get_page("/cookies", headers={"Referer": "http://localhost/?q=connect"}).response
    assert soup(page).select_one("main form input[name=return_to]")["value"] == "/?q=connect"
    response = client.post("/cookies", data={"functional": "no", "analytics": "yes", "return_to": "/?q=connect"},
                           headers=SAME_ORIGIN)
    assert response.status_code == 303
    assert response.headers["Location"] == "/cookies?return_to=/?q%3Dconnect"
    saved = get_page(response.headers["Location"]).response
    banner_el = soup(saved).select_one(".govuk-notification-banner--success")
    assert banner_el["role"] == "alert"
    assert banner_el.select_one(".govuk-notification-banner__heading").get_text(strip=True) == SAVED_TEXT
    back = banner_el.select_one("a.govuk-notification-banner__link")
    assert (back.get_text(strip=True), back["href"]) == ("Go back to the page you were looking at", "/?q=connect")
    assert radios(saved, "analytics") == {"yes": True, "no": False}
    assert radios(saved, "functional") == {"yes": False, "no": True}
    # Shown once: a reload has no notification.
    assert get_page("/cookies").select_one(".govuk-notification-banner") is None


@pytest.mark.parametrize("referer", ["https://evil.example/x", "http://localhost/cookies", "http://localhost//evil.example"])
def test_cookies_page_ignores_foreign_or_self_referers(get_page, referer):
    page = get_page("/cookies", headers={"Referer": referer}).response
    assert soup(page).select_one("main form input[name=return_to]") is None


def count_renders(monkeypatch):
    """How many times the cookies page was rendered (not replayed from the page cache)."""
    from webapp.consent import views

    calls = []
    original = views.render_cookies_page
    monkeypatch.setattr(views, "render_cookies_page", lambda *args, **kwargs: calls.append(1) or original(*args, **kwargs))
    return calls


def consent_value(app, choice):
    visitor = app.test_client()
    choose(visitor, choice)
    return visitor.get_cookie("cookies_policy").value


def test_cookies_page_is_served_from_the_page_cache_per_consent_state(app, monkeypatch, get_page):
    renders = count_renders(monkeypatch)
    states = {"no choice": None, "accepted": consent_value(app, "accept"), "rejected": consent_value(app, "reject")}
    expected = {"no choice": False, "accepted": True, "rejected": False}
    for round_ in range(3):
        for state, value in states.items():
            visitor = app.test_client()
            if value:
                visitor.set_cookie("cookies_policy", value)
            response = get_page("/cookies", client=visitor).response
            assert response.status_code == 200
            assert radios(response, "analytics") == {"yes": expected[state], "no": not expected[state]}, (state, round_)
            assert response.headers.getlist("Set-Cookie") == []
    assert len(renders) == 3  # once per consent state, then replayed


def test_cookies_page_cache_keeps_each_way_back_apart(app, monkeypatch, get_page):
    renders = count_renders(monkeypatch)
    client = app.test_client()
    cases = [
        ({"Referer": "http://localhost/foi?q=dogs"}, "/foi?q=dogs"),
        ({"Referer": "http://localhost/privacy"}, "/privacy"),
        ({}, None),
        ({"Referer": "https://evil.example/privacy"}, None),
        ({"Referer": "http://localhost/cookies"}, None),
    ]
    for _ in range(2):
        for headers, way_back in cases:
            field = get_page("/cookies", headers=headers, client=client).select_one("main form input[name=return_to]")
            assert (field["value"] if field else None) == way_back, headers
        page = get_page("/cookies?return_to=/accessibility-statement", client=client)
        field = page.select_one("input[name=return_to]")
        assert field["value"] == "/accessibility-statement"
    # One render per distinct way back (the three without one share a page), then replayed.
    assert len(renders) == 4


def test_cookies_page_confirmation_is_never_replayed(app, get_page):
    client = app.test_client()
    response = client.post("/cookies", data={"functional": "no", "analytics": "yes"}, headers=SAME_ORIGIN)
    value = client.get_cookie("cookies_policy").value
    assert get_page(response.headers["Location"], client=client).select_one(".govuk-notification-banner--success")
    other = app.test_client()
    other.set_cookie("cookies_policy", value)
    assert get_page("/cookies", client=other).select_one(".govuk-notification-banner") is None
    assert radios(get_page("/cookies", client=other), "analytics") == {"yes": True, "no": False}


def test_cookies_page_refuses_hostile_return_to(client, get_page):
    response = client.post("/cookies", data={"functional": "no", "analytics": "no", "return_to": "//evil.example"},
                           headers=SAME_ORIGIN)
    assert response.headers["Location"] == "/cookies"
    saved = get_page("/cookies").response
    assert soup(saved).select_one("a.govuk-notification-banner__link")["href"] == "/"


def test_cookies_page_missing_answer_shows_errors_and_keeps_the_rest(post_page):
    page = post_page("/cookies", data={"analytics": "yes"}, headers=SAME_ORIGIN)
    response = page.response
    assert response.status_code == 200
    assert page.title.get_text().startswith("Error: Cookies")
    summary = page.select_one(".govuk-error-summary")
    link = summary.select_one("a")
    assert link["href"] == "#functional"
    assert link.get_text(strip=True) == "Select yes if you want to allow cookies that remember your settings"
    assert page.select_one("#functional")["name"] == "functional"
    assert radios(response, "analytics") == {"yes": True, "no": False}
    assert response.headers.getlist("Set-Cookie") == []


# Analytics -----------------------------------------------------------------------------


def analytics_tags(response):
    page = soup(response)
    return page.select("script[data-analytics-provider]"), page.select("script[src^='https://']")


def test_analytics_off_by_default_even_with_consent(client, get_page):
    choose(client, "accept")
    response = get_page("/").response
    assert analytics_tags(response) == ([], [])
    assert response.headers["Content-Security-Policy"] == content_security_policy()


def test_analytics_only_for_visitors_who_accepted(tmp_path, get_page):
    app = make_app(tmp_path, **GA4)
    nobody, rejecter, accepter = app.test_client(), app.test_client(), app.test_client()
    choose(rejecter, "reject")
    choose(accepter, "accept")
    for client in (nobody, rejecter):
        response = get_page("/", client=client).response
        assert analytics_tags(response) == ([], [])
        assert "googletagmanager" not in response.headers["Content-Security-Policy"]
    response = get_page("/", client=accepter).response
    ours, theirs = analytics_tags(response)
    assert ours[0]["data-analytics-provider"] == "ga4" and ours[0]["data-analytics-site-id"] == "G-TEST123"
    assert ours[0]["type"] == "module" and not ours[0].string
    assert theirs[0]["src"] == "https://www.googletagmanager.com/gtag/js?id=G-TEST123"
    csp = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    assert "https://www.googletagmanager.com" in csp["script-src"].split()
    assert "https://*.google-analytics.com" in csp["connect-src"].split()
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    # Cached per consent: the accepter's page is not served to the others.
    assert analytics_tags(get_page("/", client=nobody)) == ([], [])


def test_matomo_and_plausible_integrations(tmp_path, get_page):
    matomo = make_app(tmp_path, ANALYTICS_PROVIDER="matomo", ANALYTICS_SCRIPT_URL="https://stats.example.org/",
                      ANALYTICS_SITE_ID="7").test_client()
    choose(matomo, "accept")
    response = get_page("/", client=matomo).response
    ours, theirs = analytics_tags(response)
    assert ours[0]["data-analytics-tracker"] == "https://stats.example.org/matomo.php"
    assert theirs[0]["src"] == "https://stats.example.org/matomo.js"
    assert "img-src 'self' data: https://stats.example.org" in response.headers["Content-Security-Policy"]

    plausible = make_app(tmp_path, ANALYTICS_PROVIDER="plausible", ANALYTICS_SITE_ID="foi.example.org",
                         ANALYTICS_SCRIPT_URL="https://plausible.example.org/js/script.js").test_client()
    choose(plausible, "accept")
    ours, theirs = analytics_tags(get_page("/", client=plausible))
    assert theirs[0]["data-domain"] == "foi.example.org"


def test_withdrawal_expires_analytics_cookies_on_host_and_parent_domain(tmp_path, get_page):
    app = make_app(tmp_path, **GA4)
    client = app.test_client()
    base = "https://foi.example.police.uk"
    client.post("/cookies/consent", data={"cookies": "accept"}, base_url=base, headers=SAME_ORIGIN)
    client.set_cookie("_ga", "GA1.1.1", domain="foi.example.police.uk")
    client.set_cookie("_ga_OTHER1", "GS1.1", domain="foi.example.police.uk")
    response = client.post("/cookies", data={"functional": "yes", "analytics": "no"}, base_url=base, headers=SAME_ORIGIN)
    cookies = set_cookies(response)
    for name in ("_ga", "_ga_TEST123", "_ga_OTHER1"):
        domains = {morsel["domain"] for morsel in cookies[name]}
        assert domains == {"", "foi.example.police.uk", "example.police.uk"}, name
        assert all(morsel["max-age"] == "0" for morsel in cookies[name])
    page = get_page("/", base_url=base, client=client).response
    assert analytics_tags(page) == ([], [])


def test_stray_analytics_cookies_are_deleted_without_consent(client, get_page):
    client.set_cookie("_pk_id.1.abcd", "x")
    response = get_page("/").response
    assert set_cookies(response)["_pk_id.1.abcd"][0]["max-age"] == "0"


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"ANALYTICS_PROVIDER": "omniture"}, "must be one of"),
        ({"ANALYTICS_PROVIDER": "matomo", "ANALYTICS_SCRIPT_URL": "http://stats.example.org/", "ANALYTICS_SITE_ID": "1"}, "https"),
        ({"ANALYTICS_PROVIDER": "plausible", "ANALYTICS_SCRIPT_URL": "https://p.example.org/js/script.js"}, "ANALYTICS_SITE_ID"),
        ({"ANALYTICS_PROVIDER": "ga4", "ANALYTICS_SITE_ID": 'G-1"><script>'}, "ANALYTICS_SITE_ID"),
    ],
)
def test_analytics_settings_are_checked_at_start_up(settings, message):
    from webapp import config

    with pytest.raises(config.ConfigError, match=message):
        config.load(settings)


def test_half_configured_analytics_loads_nothing(tmp_path, get_page):
    client = make_app(tmp_path, ANALYTICS_PROVIDER="matomo", ANALYTICS_SCRIPT_URL="", ANALYTICS_SITE_ID="1").test_client()
    choose(client, "accept")
    assert analytics_tags(get_page("/", client=client)) == ([], [])


def test_analytics_settings_default_off():
    from webapp import config

    settings = config.load({})
    assert settings["ANALYTICS_PROVIDER"] == "" and settings["COOKIE_POLICY_VERSION"] == 1
    assert config.load({"ANALYTICS_PROVIDER": "ga4", "ANALYTICS_SITE_ID": "G-X1"})["ANALYTICS_SCRIPT_URL"] == config.GA4_SCRIPT_URL
