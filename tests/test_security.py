"""Security headers on every kind of response, and the CSP's one allowed inline script."""

import base64
import hashlib
import re
from importlib.resources import files

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import make_app, soup
from webapp.security import is_safe_local_path, local_path_or, template_script_hash

EXPECTED_CSP = {
    "default-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def csp_directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


def assert_security_headers(response):
    directives = csp_directives(response)
    for name, value in EXPECTED_CSP.items():
        assert directives[name] == value, name
    assert directives["script-src"] == f"'self' {template_script_hash()}"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Permissions-Policy"] == "camera=(), microphone=(), geolocation=()"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


def static_url(client, rel):
    page = soup(client.get("/"))
    element = page.select_one(f"link[rel={rel}]") if rel != "script" else page.select_one("script[src]")
    return element.get("href") or element.get("src")


def test_headers_on_a_page(client):
    assert_security_headers(client.get("/"))


def test_headers_on_a_cached_page(client):
    client.get("/")
    assert_security_headers(client.get("/"))


@pytest.mark.parametrize("path,method", [("/missing", "GET"), ("/", "POST")])
def test_headers_on_error_pages(client, path, method):
    response = client.open(path, method=method)
    assert response.status_code >= 400
    assert_security_headers(response)


@pytest.mark.parametrize("rel", ["stylesheet", "icon", "script"])
def test_headers_on_static_files(client, rel):
    response = client.get(static_url(client, rel))
    assert response.status_code == 200
    assert_security_headers(response)


def test_headers_on_healthz(client):
    assert_security_headers(client.get("/healthz"))


def test_script_hash_matches_the_installed_template():
    template = files("govuk_frontend_jinja").joinpath("templates", "template.html").read_text("utf-8")
    script = re.search(r"<script[^>]*>(.*?)</script>", template, re.DOTALL).group(1)
    expected = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert template_script_hash() == f"'sha256-{expected}'"
    # The hash of the inline script in govuk-frontend-jinja 4.1.0 (govuk-frontend 6.3.0).
    assert expected == "GUQ5ad8JK5KmEWmROf3LZd9ge94daqNvd8xy9YS1iDw="


def test_the_rendered_inline_script_is_the_hashed_one(get_page):
    page = get_page("/")
    inline = next(script for script in page.select("script") if not script.get("src"))
    digest = base64.b64encode(hashlib.sha256(inline.string.encode()).digest()).decode()
    assert f"'sha256-{digest}'" == template_script_hash()


def test_no_hsts_over_plain_http(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_hsts_over_https(client):
    response = client.get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_forwarded_proto_ignored_without_proxy_fix(client):
    response = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers


def test_forwarded_proto_honoured_with_proxy_fix(tmp_path):
    client = make_app(tmp_path, PROXY_FIX=1).test_client()
    response = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in client.get("/", headers={"X-Forwarded-Proto": "http"}).headers


@pytest.mark.parametrize(
    "value",
    [
        None, "", "foi", "http://evil.example/", "https://evil.example", "//evil.example",
        "/\\evil.example", "\\\\evil.example", "/%2F/evil.example", "/%5Cevil.example",
        "javascript:alert(1)", "/foi\nSet-Cookie: x=1", "/foi\r\n", " /foi", "/\tfoo",
        "%2F%2Fevil.example", "/%09/evil.example",
        # doubly and triply encoded slashes and backslashes
        "/%252F%252Fevil.example", "/%25252F%25252Fevil.example", "/%255Cevil.example",
        "/%2525252525252F/evil.example",
        # C1 controls and Unicode separators / invisible format characters
        "/foi\u0085", "/foi\u2028", "/%E2%80%A8", "/foi\u200b", "/\u202eexample",
        "/%C2%85", "/" + "a" * 2100,
    ],
)
def test_hostile_return_paths_are_refused(value):
    assert not is_safe_local_path(value)
    assert local_path_or(value) == "/"


@pytest.mark.parametrize("value", ["/", "/foi", "/foi/01.FOI.23.031828", "/foi?q=connect&page=2"])
def test_local_paths_are_kept(value):
    assert local_path_or(value, "/x") == value


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(st.characters(min_codepoint=0, max_codepoint=0x2FFF) | st.sampled_from("\x7f\x85\u2028\u2029\u200b\ufeff"),
               max_size=20))
def test_no_path_holding_a_control_character_is_kept(rest):
    """ASCII or not, a control or invisible character anywhere refuses the path."""
    from webapp.security import _is_control

    value = "/" + rest
    if any(_is_control(ch) for ch in value):
        assert not is_safe_local_path(value)
