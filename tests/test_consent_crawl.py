"""The registry crawl: every page and every form, with no choice, with additional cookies
accepted and with them rejected. Fails if any response sets a cookie that is not in
the registry, or a non-essential one the visitor has not agreed to.

Pages come from the URL map (tests/routes.py), forms from the pages themselves, so a
page or form added later is crawled without anyone adding it here. Analytics is
configured (GA4) so the analytics paths are exercised too.
"""

from __future__ import annotations

import time
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urljoin, urlsplit

import pytest

from tests.conftest import TEST_SECRET, make_app, soup
from tests.routes import page_paths
from webapp.consent import policy

STATES = {"no choice": None, "accepted": policy.accept_all, "rejected": policy.reject_all}
ANALYTICS = {"ANALYTICS_PROVIDER": "ga4", "ANALYTICS_SITE_ID": "G-CRAWL1"}
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}


@pytest.fixture(scope="module")
def crawl_app(tmp_path_factory):
    return make_app(tmp_path_factory.mktemp("crawl"), **ANALYTICS)


def client_in(app, state: str):
    client = app.test_client()
    make = STATES[state]
    if make is not None:
        client.set_cookie("cookies_policy", policy.dump(make(1), TEST_SECRET))
    return client


def consent_of(client) -> policy.Consent | None:
    cookie = client.get_cookie("cookies_policy")
    return policy.load(cookie.value if cookie else None, TEST_SECRET)


def is_deletion(morsel) -> bool:
    if morsel["max-age"] in ("0", "-1"):
        return True
    expires = morsel["expires"]
    return bool(expires) and time.mktime(time.strptime(expires, "%a, %d %b %Y %H:%M:%S GMT")) < time.time()


def cookie_problems(response, consent: policy.Consent | None, where: str) -> list[str]:
    problems = []
    for header in response.headers.getlist("Set-Cookie"):
        parsed = SimpleCookie()
        parsed.load(header)
        for name, morsel in parsed.items():
            entry = policy.registered(name)
            if entry is None:
                problems.append(f"{where}: sets {name!r}, which is not in the registry")
            elif not is_deletion(morsel) and not (consent and consent.allows(entry.category)) \
                    and entry.category != policy.ESSENTIAL:
                problems.append(f"{where}: sets {entry.category} cookie {name!r} without consent")
            if not is_deletion(morsel) and not morsel["httponly"] and entry and entry.category == policy.ESSENTIAL:
                problems.append(f"{where}: essential cookie {name!r} is readable by scripts")
    return problems


def submissions(form) -> list[tuple[dict, str]]:
    """The form's default values, once per submit button (with that button's name/value)."""
    fields: dict[str, str] = {}
    for element in form.select("input, textarea, select"):
        name = element.get("name")
        if not name or element.name == "input" and element.get("type") in ("submit", "button", "image"):
            continue
        if element.name == "input" and element.get("type") in ("radio", "checkbox") and not element.has_attr("checked"):
            continue
        if element.name == "select":
            option = element.select_one("option[selected]") or element.select_one("option")
            fields[name] = option.get("value", option.get_text()) if option else ""
        elif element.name == "textarea":
            fields[name] = element.get_text() or "Crawl test"
        else:
            fields[name] = element.get("value", "")
    buttons = [b for b in form.select("button, input[type=submit]") if b.get("type", "submit") == "submit"]
    named = [b for b in buttons if b.get("name")]
    if not named:
        return [(fields, "default")]
    return [({**fields, b["name"]: b.get("value", "")}, b.get_text(strip=True) or b["name"]) for b in named]


def crawl(app, state: str) -> tuple[list[str], int, int]:
    problems, pages, forms = [], 0, 0
    paths = page_paths(app) + ["/no-such-page"]
    for path in paths:
        client = client_in(app, state)
        response = client.get(path)
        pages += 1
        problems += cookie_problems(response, consent_of(client), f"GET {path} ({state})")
        for index, form in enumerate(soup(response).select("form")):
            for data, label in submissions(form):
                client = client_in(app, state)
                client.get(path)  # the same visitor, with whatever the page gave them
                before = consent_of(client)
                action = urljoin(path, form.get("action") or path)
                method = (form.get("method") or "get").lower()
                if method == "post":
                    result = client.post(action, data=data, headers=SAME_ORIGIN)
                else:
                    result = client.get(f"{urlsplit(action).path}?{urlencode(data)}")
                forms += 1
                where = f"{method.upper()} {action} from {path} form {index} [{label}] ({state})"
                problems += cookie_problems(result, before, where)
                if result.status_code in (301, 302, 303, 307, 308):
                    after = consent_of(client)
                    target = result.headers["Location"]
                    followed = client.get(target)
                    problems += cookie_problems(followed, after, f"GET {target} after {where}")
    return problems, pages, forms


@pytest.mark.parametrize("state", list(STATES))
def test_every_page_and_form_sets_only_registered_consented_cookies(crawl_app, state):
    problems, pages, forms = crawl(crawl_app, state)
    assert problems == []
    # The crawl really covered the site: every page, and the banner's and cookies page's forms.
    assert pages == len(page_paths(crawl_app)) + 1
    assert forms >= (4 if state == "no choice" else 1)


def test_crawl_catches_an_unregistered_cookie(tmp_path):
    """The crawl can fail: a page that sets a cookie outside the registry is reported."""
    app = make_app(tmp_path)

    @app.get("/_test/tracker")
    def tracker():
        response = app.make_response("<form method=post action=/_test/tracker><button>Go</button></form>")
        response.set_cookie("tracker", "1")
        return response

    problems = cookie_problems(app.test_client().get("/_test/tracker"), None, "GET /_test/tracker")
    assert problems == ["GET /_test/tracker: sets 'tracker', which is not in the registry"]


def test_crawl_catches_analytics_without_consent(tmp_path):
    app = make_app(tmp_path)

    @app.get("/_test/analytics")
    def sets_analytics():
        response = app.make_response("ok")
        response.set_cookie("_ga", "GA1.1.1")
        return response

    client = app.test_client()
    problems = cookie_problems(client.get("/_test/analytics"), None, "GET")
    assert problems == ["GET: sets analytics cookie '_ga' without consent"]
    consented = cookie_problems(client.get("/_test/analytics"), policy.accept_all(1), "GET")
    assert consented == []
