"""The current visitor's consent, read from the request and written to the response.

Pages are rendered from the parsed consent only, so the page cache may key them by the
raw ``cookies_policy`` value. The short-lived ``cookies_confirmation`` cookie carries
"you've accepted/rejected/saved" to exactly one following page: that page deletes it,
and a response that sets or deletes a cookie is never stored by the page cache.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from flask import Request, Response, abort, current_app, g, request
from werkzeug.http import parse_cookie

from webapp.consent import analytics, policy
from webapp.security import content_security_policy, is_safe_local_path, local_path_or

COOKIES_PAGE = "/cookies"


def current_consent() -> policy.Consent | None:
    """The visitor's valid choice, or None (no choice, tampered, expired, old version)."""
    if "consent" not in g:
        config = current_app.config
        g.consent = policy.load(
            request.cookies.get(policy.CONSENT_COOKIE),
            config["SECRET_KEY"],
            config.get("SECRET_KEY_FALLBACKS") or (),
            version=config["COOKIE_POLICY_VERSION"],
        )
    return g.consent


def allows(category: str) -> bool:
    consent = current_consent()
    return consent is not None and consent.allows(category)


def confirmation() -> str | None:
    """What the confirmation cookie says, if it belongs to this visitor's saved choice."""
    value = request.cookies.get(policy.CONFIRMATION_COOKIE)
    consent = current_consent()
    if value not in policy.CONFIRMATIONS or consent is None:
        return None
    if value == "accepted" and not consent.accepted_all:
        return None
    if value == "rejected" and any(consent.allows(c) for c in policy.OPTIONAL_CATEGORIES):
        return None
    return value


def active_integration() -> analytics.Integration | None:
    """The analytics integration to load for this visitor: configured and consented."""
    integration = analytics.integration(current_app.config)
    if integration is None or not allows(policy.ANALYTICS):
        return None
    return integration


def require_same_origin() -> None:
    """Refuse a cross-site POST without needing a token (which would need a session
    cookie on every page before any choice): the browser's Sec-Fetch-Site must say
    same-origin or, where it sends no fetch metadata, Origin must be this site."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        if site != "same-origin":
            abort(403)
        return
    origin = request.headers.get("Origin")
    if not origin or origin.rstrip("/") != request.host_url.rstrip("/"):
        abort(403)


def wants_json() -> bool:
    """The banner script asks for JSON; a plain form submission gets a redirect."""
    return request.accept_mimetypes.best == "application/json"


def referring_path(incoming: Request | None = None) -> str | None:
    """The page on this site the visitor came from (for the cookies page's way back):
    ``return_to`` in the address, else the same-origin Referer. ``incoming`` defaults to
    the current request."""
    incoming = request if incoming is None else incoming
    supplied = incoming.args.get("return_to")
    if supplied is not None:
        return supplied if is_safe_local_path(supplied) and not supplied.startswith(COOKIES_PAGE) else None
    referrer = incoming.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc != incoming.host or parts.scheme != incoming.scheme:
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if not is_safe_local_path(path) or path.startswith(COOKIES_PAGE):
        return None
    return path


def cookies_page_key(environ: dict) -> str | None:
    """The page cache's extra key for the cookies page: the way back it will show (the
    Referer itself varies with every page a visitor comes from; the page does not)."""
    if not environ.get("HTTP_REFERER") and not environ.get("QUERY_STRING"):
        return None  # what referring_path() says without either, without parsing a request
    return referring_path(Request(environ))


def set_cookie(response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/", secure=request.is_secure, httponly=True, samesite="Lax",
    )


def save(response: Response, consent: policy.Consent) -> None:
    """Store the choice; when analytics is not allowed, delete its cookies too."""
    config = current_app.config
    set_cookie(
        response, policy.CONSENT_COOKIE,
        policy.dump(consent, config["SECRET_KEY"], config.get("SECRET_KEY_FALLBACKS") or ()),
        policy.CONSENT_MAX_AGE,
    )
    if not consent.allows(policy.ANALYTICS):
        expire_analytics_cookies(response, include_configured=True)
    response.headers["Cache-Control"] = "no-store"


def set_confirmation(response: Response, value: str) -> None:
    set_cookie(response, policy.CONFIRMATION_COOKIE, value, policy.CONFIRMATION_MAX_AGE)


def clear_confirmation(response: Response) -> None:
    response.delete_cookie(policy.CONFIRMATION_COOKIE, path="/", secure=request.is_secure,
                           httponly=True, samesite="Lax")


def parent_domain(host: str) -> str | None:
    """The domain above this host (``foi.example.org`` → ``example.org``), where
    analytics scripts usually put their cookies; None for IP addresses and single labels."""
    name = host.split(":")[0].strip(".").lower()
    try:
        ipaddress.ip_address(name.strip("[]"))
        return None
    except ValueError:
        pass
    labels = name.split(".")
    if len(labels) < 3:
        return None
    return ".".join(labels[1:])


def expire_analytics_cookies(response: Response, include_configured: bool = False) -> list[str]:
    """Expired Set-Cookie for each analytics cookie, on this host and its parent domain."""
    config = current_app.config
    names = policy.analytics_cookie_names(
        request.cookies.keys(),
        config.get("ANALYTICS_PROVIDER", "") if include_configured else "",
        config.get("ANALYTICS_SITE_ID", ""),
    )
    domains = [None]
    host = request.host.split(":")[0]
    if parent_domain(host):
        domains += [host, parent_domain(host)]
    for name in names:
        for domain in domains:
            response.delete_cookie(name, path="/", domain=domain, secure=request.is_secure, samesite="Lax")
    return names


def after_request(response: Response) -> Response:
    """On every response: consume the confirmation, delete stray analytics cookies,
    and give a consenting visitor's pages the CSP their analytics needs."""
    html = response.mimetype == "text/html"
    if html and request.method == "GET" and policy.CONFIRMATION_COOKIE in request.cookies:
        clear_confirmation(response)
    if not allows(policy.ANALYTICS) and request.cookies and not _sets(response, policy.CONSENT_COOKIE):
        expire_analytics_cookies(response)
    integration = active_integration() if html else None
    if integration is not None:
        response.headers["Content-Security-Policy"] = content_security_policy(
            extra_script_src=integration.script_src,
            extra_connect_src=integration.connect_src,
            extra_img_src=integration.img_src,
        )
    if html:
        response.vary.add("Cookie")
    return response


def stray_cookie_headers(app, environ) -> list[tuple[str, str]]:
    """For a page replayed from the page cache: the same expired ``Set-Cookie`` headers
    :func:`after_request` sends for analytics cookies that arrived without consent."""
    names = parse_cookie(environ.get("HTTP_COOKIE", "")).keys()
    if not any((cookie := policy.registered(name)) and cookie.category == policy.ANALYTICS for name in names):
        return []
    with app.request_context(environ):
        if allows(policy.ANALYTICS):
            return []
        response = Response()
        expire_analytics_cookies(response)
        return [("Set-Cookie", value) for value in response.headers.getlist("Set-Cookie")]


def _sets(response: Response, name: str) -> bool:
    return any(value.startswith(f"{name}=") for value in response.headers.getlist("Set-Cookie"))


def banner_context() -> dict:
    """What the layout needs to draw the banner and the analytics tags."""
    if request.path == COOKIES_PAGE:
        state = None
    else:
        shown = confirmation()
        state = shown if shown in ("accepted", "rejected") else None
        if current_consent() is None:
            state = "question"
    query = request.query_string.decode("latin-1")
    here = request.path + (f"?{query}" if query else "")
    return {
        "cookie_banner": {
            "state": state,
            "return_to": local_path_or(here),
            "analytics_patterns": " ".join(policy.analytics_cookie_patterns()),
        },
        "analytics": active_integration(),
    }
