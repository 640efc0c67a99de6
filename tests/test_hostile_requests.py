"""No query string, path, header or body makes any route answer 5xx or log a traceback.

Property-based (Hypothesis): generated query strings (huge numbers, NUL and other
controls, lone surrogates, repeated keys, digits from other scripts) against the log and
every feed, and generated paths, headers and cookies against every route in the URL map.
Invalid input on ``/foi`` always gets the GOV.UK error summary; on a feed, the 400 page.
"""

from __future__ import annotations

import logging
import string
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import make_app, soup
from tests.foi_fixtures import SHIPPED_REFERENCE, load_shipped
from webapp.foi.views import PARAMETERS

SETTINGS = settings(max_examples=120, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
LOG_ROUTES = ["/foi", "/foi.atom", "/foi.json", "/foi.csv"]


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("hostile"))
    load_shipped(app)
    return app


@pytest.fixture
def client(hostile_app):
    return hostile_app.test_client()


@pytest.fixture
def no_tracebacks(hostile_app):
    """Fails the test if the app logs an error (an unhandled exception logs its traceback)."""
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Collect(level=logging.ERROR)
    hostile_app.logger.addHandler(handler)
    yield records
    hostile_app.logger.removeHandler(handler)


def encode(value: str) -> str:
    """Percent-encode anything, lone surrogates included (as the bytes a client could send)."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


unicode_digits = st.sampled_from("٣۴५৬੭௮๙༡၂០᠑١²³¹½⅔Ⅻ①𝟗０９")
huge_numbers = st.integers(min_value=-(10 ** 40), max_value=10 ** 40).map(str)
hostile_text = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.characters(codec=None, categories=("Cc", "Cs", "Cf", "Zl", "Zp", "Nd", "No")), max_size=20),
    huge_numbers,
    st.builds(lambda a, b: a + b, unicode_digits, unicode_digits),
    st.sampled_from(["\x00", "%00", "1e309", "nan", "-0", "+1", " 1 ", "0x10", "1_000", "١٢", "9" * 400,
                     "' OR 1=1 --", '"', "*", "NEAR(a b)", "a OR b", "^", "\\", "-", "\ud800", "\udfff"]),
)
keys = st.one_of(st.sampled_from(PARAMETERS), st.text(max_size=10))
query_strings = st.lists(st.tuples(keys, hostile_text), max_size=12).map(
    lambda pairs: "&".join(f"{encode(k)}={encode(v)}" for k, v in pairs)
)


@SETTINGS
@given(route=st.sampled_from(LOG_ROUTES), qs=query_strings)
def test_no_query_string_breaks_the_log_or_a_feed(client, no_tracebacks, route, qs):
    response = client.get(f"{route}?{qs}")
    assert response.status_code < 500, (route, qs)
    assert not no_tracebacks, [r.getMessage() for r in no_tracebacks]
    if response.status_code == 400:
        assert soup(response).select_one("h1").get_text(strip=True) == "Sorry, there is a problem with your request"
    if route == "/foi" and response.status_code == 200:
        assert "\x00" not in response.get_data(as_text=True)


@st.composite
def invalid_dates(draw):
    """A day, month and year of which at least one is not part of a real date."""
    good = {"day": "1", "month": "1", "year": "2024"}
    part = draw(st.sampled_from(["day", "month", "year"]))
    bad = draw(st.one_of(
        huge_numbers.filter(lambda v: part != "year" or len(v) != 4 or v.startswith("-")),
        unicode_digits.map(lambda d: d * (4 if part == "year" else 1)),
        st.sampled_from(["0", "32", "13", "00", "-1", "1.5", "x", "\x00", "0999"]),
    ))
    if part == "day" and bad in {"0", "00", "-1"} | {str(n) for n in range(1, 32)}:
        bad = "32"
    if part == "month" and bad in {str(n) for n in range(1, 13)}:
        bad = "13"
    good[part] = bad
    return good


@SETTINGS
@given(which=st.sampled_from(["published-from", "published-to"]), date=invalid_dates())
def test_an_invalid_date_gets_the_error_summary(client, get_page, no_tracebacks, which, date):
    qs = "&".join(f"{which}-{part}={encode(value)}" for part, value in date.items())
    page = get_page(f"/foi?{qs}")
    response = page.response
    assert response.status_code == 200, qs
    links = [a["href"] for a in page.select(".govuk-error-summary .govuk-error-summary__list a")]
    assert links and all(href.startswith(f"#{which}-") for href in links), (qs, links)
    assert page.title.text.startswith("Error: ")
    for feed in LOG_ROUTES[1:]:
        assert client.get(f"{feed}?{qs}").status_code == 400
    assert not no_tracebacks


@pytest.mark.parametrize("route", LOG_ROUTES)
@pytest.mark.parametrize("qs", [
    "published-from-day=9999999999&published-from-month=1&published-from-year=2024",
    "published-to-day=1&published-to-month=99999999999999999999&published-to-year=2024",
    "published-from-day=1&published-from-month=1&published-from-year=²²²²",
    "published-from-day=²&published-from-month=1&published-from-year=2024",
    "page=²",
    "page=" + "9" * 30,
])
def test_numbers_from_the_query_are_bounded(client, no_tracebacks, route, qs):
    response = client.get(f"{route}?{qs}")
    assert response.status_code in (200, 400), response.status_code
    assert not no_tracebacks
    if route == "/foi" and "published" in qs:
        assert soup(response).select_one(".govuk-error-summary") is not None


def test_a_nul_in_the_search_box_is_not_echoed(get_page):
    page = get_page("/foi?q=%00lighthouse%07%1b[2J")
    response = page.response
    assert page.select_one("#q")["value"] == "lighthouse[2J"
    assert "\x00" not in response.get_data(as_text=True) and "\x1b" not in response.get_data(as_text=True)


# --- every route: paths, headers, cookies --------------------------------------------

def every_path(app) -> list[str]:
    """Every GET route of the URL map, its parameters filled with a real value."""
    fill = {"reference": SHIPPED_REFERENCE, "filename": "x.csv"}
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.rule.startswith("/_test/"):
            continue
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<{name}>", fill.get(name, "x"))
        paths.append(path)
    return sorted(paths)


path_noise = st.one_of(
    st.sampled_from(["//", "/%2F", "%2f%2f", "/..", "/%00", "/%ff", "/%C0%AF", "/./", ";x", "/\u00e9", "%", "%%", "//evil.example"]),
    st.text(alphabet=string.printable, max_size=8).map(lambda s: quote(s, safe="/%")),
)
hosts = st.sampled_from([
    "localhost", "evil.example", "localhost:99999999999", "[::1", "a" * 300, "localhost:-1", "", "xn--", "..", "localhost\t",
])
cookie_values = st.text(alphabet=st.characters(codec="latin-1", exclude_characters="\r\n"), max_size=60)
cookie_names = st.sampled_from(["cookies_policy", "cookies_confirmation", "session", "_ga", "_ga_X1", "_pk_id.1.ab", "x"])


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_no_path_header_or_cookie_breaks_any_route(hostile_app, client, no_tracebacks, data):
    path = data.draw(st.sampled_from(every_path(hostile_app)))
    path = data.draw(st.sampled_from([path, path + data.draw(path_noise), data.draw(path_noise) + path]))
    path += data.draw(st.sampled_from(["", "?", "?" + data.draw(query_strings)]))
    headers = {
        "Host": data.draw(hosts),
        "Cookie": "; ".join(f"{n}={v}" for n, v in data.draw(st.lists(st.tuples(cookie_names, cookie_values), max_size=4))),
        "Accept-Encoding": data.draw(st.sampled_from(["", "br", "gzip;q=x", "*", "identity;q=0", "a" * 600])),
        "Accept": data.draw(st.sampled_from(["", "application/json", "*/*;q=abc", "text/html;;;"])),
        "X-Forwarded-For": data.draw(st.sampled_from(["", "1.2.3.4", "::::", "x" * 100])),
        "Referer": data.draw(st.sampled_from(["", "http://evil.example/", "javascript:alert(1)", "//\x7f"])),
    }
    if not path.startswith("/"):
        path = "/" + path
    try:
        response = client.get(path, headers=headers)
    except (ValueError, UnicodeError):
        return  # the test client itself refused to build this request
    assert response.status_code < 500, (path, headers)
    assert not no_tracebacks, [r.getMessage() for r in no_tracebacks]


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=st.binary(max_size=400), content_type=st.sampled_from([
    "application/x-www-form-urlencoded", "multipart/form-data", "multipart/form-data; boundary=x",
    "application/json", "text/plain", "application/x-www-form-urlencoded; charset=utf-7",
]), path=st.sampled_from(["/feedback", "/cookies", "/cookies/consent", "/leave", "/foi"]))
def test_no_body_breaks_a_post(client, no_tracebacks, body, content_type, path):
    response = client.post(path, data=body, content_type=content_type, headers={"Sec-Fetch-Site": "same-origin"})
    assert response.status_code < 500
    assert not no_tracebacks, [r.getMessage() for r in no_tracebacks]


def test_no_response_can_be_framed_by_another_site(hostile_app, client):
    """Pages, attachments (whose own policy replaces the site's), feeds and errors."""
    from sqlalchemy import select

    from webapp.extensions import db
    from webapp.foi.models import FoiAttachment, FoiResponse

    with hostile_app.app_context():
        attachment = db.session.scalars(select(FoiAttachment)).first()
        reference = db.session.get(FoiResponse, attachment.response_id).reference
    paths = [p for p in every_path(hostile_app) if "<" not in p] + [f"/foi/{reference}/{attachment.filename}"]
    for path in paths:
        response = client.get(path)
        policy = response.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in policy, path
        assert response.headers.get("X-Frame-Options") == "DENY", path
    attachment_response = client.get(f"/foi/{reference}/{attachment.filename}")
    assert attachment_response.status_code == 200
    assert "sandbox" in attachment_response.headers["Content-Security-Policy"]
