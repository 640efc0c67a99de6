"""Security headers for every response, and the Content-Security-Policy.

The headers are added by a WSGI middleware wrapped around everything else, so pages,
error pages, cached pages and static files all carry them without each path having to
remember. The CSP allows scripts from our own origin plus, by hash, the one inline
script in govuk-frontend-jinja's ``template.html``; the hash is computed from the
installed template at start-up so an upgrade can never silently block it.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from importlib.resources import files
from urllib.parse import unquote, urlsplit

from flask import Flask, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from webapp.page_cache import STORE_FLAG

TEMPLATE_SCRIPT = re.compile(r"<script[^>]*>(.*?)</script>", re.DOTALL)


@lru_cache(maxsize=1)
def template_script_hash() -> str:
    """CSP source for the inline script in govuk-frontend-jinja's ``template.html``."""
    template = files("govuk_frontend_jinja").joinpath("templates", "template.html").read_text("utf-8")
    scripts = TEMPLATE_SCRIPT.findall(template)
    if len(scripts) != 1:
        raise RuntimeError(f"expected one inline script in template.html, found {len(scripts)}")
    digest = hashlib.sha256(scripts[0].encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(
    extra_script_src: Iterable[str] = (),
    extra_connect_src: Iterable[str] = (),
    extra_img_src: Iterable[str] = (),
) -> str:
    """The site's policy. The extras are for a visitor who accepted analytics: the
    configured provider's origins are added to that visitor's responses only."""
    script_src = " ".join(["'self'", template_script_hash(), *extra_script_src])
    img_src = " ".join(["'self'", "data:", *extra_img_src])
    connect_src = " ".join(["'self'", *extra_connect_src])
    directives = [
        "default-src 'self'",
        f"script-src {script_src}",
        "style-src 'self'",
        f"img-src {img_src}",
        "font-src 'self'",
        f"connect-src {connect_src}",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


# Only features Chromium, Firefox and Safari all know, so no console warnings.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=()"
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeaders:
    """WSGI middleware: add the security headers to every response."""

    def __init__(self, app, csp: str):
        self.app = app
        self.headers = [
            ("Content-Security-Policy", csp),
            ("Referrer-Policy", "same-origin"),
            ("X-Content-Type-Options", "nosniff"),
            ("Permissions-Policy", PERMISSIONS_POLICY),
            ("Cross-Origin-Opener-Policy", "same-origin"),
            # frame-ancestors for browsers that predate it, and for any response (an
            # attachment) whose own Content-Security-Policy replaces the site's.
            ("X-Frame-Options", "DENY"),
        ]
        self.names = {name.lower() for name, _ in self.headers}

    def __call__(self, environ, start_response):
        secure = environ.get("wsgi.url_scheme") == "https"

        def start(status, response_headers, exc_info=None):
            # A view may set its own value for one of these (e.g. a stricter
            # Referrer-Policy on /leave); that value wins.
            present = {name.lower() for name, _ in response_headers}
            response_headers.extend(h for h in self.headers if h[0].lower() not in present)
            if secure and "strict-transport-security" not in present:
                response_headers.append(("Strict-Transport-Security", HSTS))
            return start_response(status, response_headers, exc_info)

        return self.app(environ, start)


def is_safe_local_path(value: str | None) -> bool:
    """True for a path on this site: one leading slash, no scheme, host, backslash or
    control character, before or after percent-decoding."""
    if not value or len(value) > 2048:
        return False
    candidates = [value]
    # Decode until nothing changes (a few rounds at most), so a doubly encoded
    # "%252F%252F" is judged by what a careless second decoder would see too.
    for _ in range(3):
        decoded = unquote(candidates[-1])
        if decoded == candidates[-1]:
            break
        candidates.append(decoded)
    else:
        return False
    for candidate in candidates:
        if not candidate.startswith("/") or candidate.startswith("//") or "\\" in candidate:
            return False
        # Printable ASCII holds no control character: only other text is checked a
        # character at a time (a banner's return path is checked on every page).
        if not (candidate.isascii() and candidate.isprintable()) and any(_is_control(ch) for ch in candidate):
            return False
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc:
            return False
    return True


def _is_control(ch: str) -> bool:
    """ASCII and C1 controls, and Unicode format/line/paragraph separators, which some
    browsers and logs strip or treat as line breaks."""
    return ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F or unicodedata.category(ch) in {"Cf", "Zl", "Zp", "Cs", "Co", "Cn"}


def local_path_or(value: str | None, fallback: str | None = "/") -> str | None:
    """``value`` when it is a safe local path, otherwise ``fallback``."""
    return value if is_safe_local_path(value) else fallback


# A cell a spreadsheet would run as a formula starts with one of these (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """A CSV cell for staff or the public to open in a spreadsheet: text that would start
    a formula gets a leading ``'``; anything else is left as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


# Shared caches in front (a CDN) may keep a page that is the same for everyone for a
# short while; browsers keep nothing (CDN-Cache-Control, RFC 9213, is read only by them).
CDN_CACHE_CONTROL = "public, max-age=300"


def no_store_html(response):
    """After every request: the browser keeps no copy of any HTML page, so nothing a
    visitor read comes back from its cache or back/forward cache after a quick exit.

    Set here, once, on the response Flask builds; the page cache stores and replays these
    headers with the page. Static files never pass through here and keep their one-year
    immutable cache. Only pages marked ``@cacheable`` (the same for everyone) may be kept
    by a shared cache in front.
    """
    if response.mimetype == "text/html":
        response.headers["Cache-Control"] = "no-store"
        if response.status_code == 200 and request.environ.get(STORE_FLAG) and "Set-Cookie" not in response.headers:
            response.headers["CDN-Cache-Control"] = CDN_CACHE_CONTROL
    return response


def reject_oversized_body() -> None:
    """Before every request: refuse a body over MAX_CONTENT_LENGTH with the 413 page,
    whatever the route (Werkzeug only checks when a view reads the form)."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge()


def init_app(app: Flask) -> None:
    """The body limit and the HTML cache headers on every request; the security headers
    around the app's WSGI callable as it stands (so around static files and cached pages
    too); then, outermost, ``ProxyFix`` for the ``PROXY_FIX`` proxies in front, so every
    layer inside sees the client's scheme, host and address."""
    app.before_request(reject_oversized_body)
    app.after_request(no_store_html)
    app.wsgi_app = SecurityHeaders(app.wsgi_app, csp=content_security_policy())
    if app.config["PROXY_FIX"]:
        hops = app.config["PROXY_FIX"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
