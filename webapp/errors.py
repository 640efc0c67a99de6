"""Error pages: one handler per error family, every one a GOV.UK page.

No stack trace ever reaches a page. Unexpected errors are logged with the request id
(see ``observability``), which the page shows so a person can quote it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, render_template, request
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from webapp.i18n import lazy_gettext
from webapp.observability import request_id

# Headers of an HTTP error worth passing on to the client (e.g. Allow on a 405).
PASSED_ON_HEADERS = {"allow", "retry-after"}

# Translated when a page is drawn (lazy_gettext), in the visitor's language.
ERROR_PAGES = {
    400: {
        "title": lazy_gettext("Sorry, there is a problem with your request"),
        "paragraphs": [
            lazy_gettext("The address or the form you sent was not in a form we understand."),
            lazy_gettext("Check the web address, or go back and try again."),
        ],
    },
    403: {
        "title": lazy_gettext("Sorry, we could not accept that request"),
        "paragraphs": [
            lazy_gettext("It did not come from a page on this site, so we did not act on it."),
            lazy_gettext("Go back to the page you were on and try again."),
        ],
    },
    404: {
        "title": lazy_gettext("Page not found"),
        "paragraphs": [
            lazy_gettext("If you typed the web address, check it is correct."),
            lazy_gettext("If you pasted the web address, check you copied the entire address."),
        ],
        "search_link": True,
    },
    405: {
        "title": lazy_gettext("Sorry, that action is not possible on this page"),
        "paragraphs": [
            lazy_gettext("The page does not accept what your browser sent."),
            lazy_gettext("Go back to the page you were on and try again."),
        ],
    },
    413: {
        "title": lazy_gettext("Sorry, what you sent is too large"),
        "paragraphs": [
            lazy_gettext("We could not accept it because it was larger than this site allows."),
            lazy_gettext("Go back, shorten what you entered and try again."),
        ],
    },
    429: {
        "title": lazy_gettext("Sorry, there have been too many attempts"),
        "paragraphs": [
            lazy_gettext("To protect this site, we limit how often a page can be used."),
            lazy_gettext("Wait a minute, then try again. Nothing you entered has been sent."),
        ],
    },
    500: {
        "title": lazy_gettext("Sorry, there was a technical problem"),
        "paragraphs": [lazy_gettext("Please try again.")],
        "show_reference": True,
    },
    # The database did not answer (it is restarting, or out of connections): nothing is
    # wrong with the request, and trying again shortly will work.
    503: {
        "title": lazy_gettext("Sorry, there was a technical problem"),
        "paragraphs": [lazy_gettext("Please try again.")],
        "show_reference": True,
    },
}

# Seconds a visitor (or a proxy) is told to wait before trying again after a 503.
RETRY_AFTER_SECONDS = 5


def render_error(code: int, headers=()):
    page = ERROR_PAGES.get(code) or ERROR_PAGES[500 if code >= 500 else 400]
    try:
        body = render_template("errors/error.html", page=page, status=code, reference=request_id())
    except Exception:  # noqa: BLE001 - the error page itself must never fail
        current_app.logger.exception("error page %s could not be rendered", code)
        # The same title pattern as every page, built without templates.
        config = current_app.config
        title = f"{page['title']} – {config['SERVICE_NAME']} – {config['ORGANISATION_NAME']}"
        body = (
            f"<!DOCTYPE html><html lang=en><title>{escape(title)}</title>"
            f"<h1>{escape(page['title'])}</h1><p>Please try again.</p>"
        )
    response = current_app.make_response((body, code))
    response.headers.extend(headers)
    return response


def handle_http_exception(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    if error.code >= 500:
        current_app.logger.error("HTTP %s: %s", error.code, error.description)
    headers = [
        (name, value) for name, value in error.get_headers() if name.lower() in PASSED_ON_HEADERS
    ]
    return render_error(error.code, headers)


def relative_location(response):
    """After every request: a Location on this site is made relative. Werkzeug's own
    redirects (``/foi//x`` → ``/foi/x``) are absolute, built from the request's Host
    header; relative, they cannot send anyone to another host, whatever Host said."""
    location = response.headers.get("Location")
    if location:
        parts = urlsplit(location)
        if parts.netloc and parts.netloc == request.host:
            path = "/" + parts.path.lstrip("/")
            response.headers["Location"] = path + (f"?{parts.query}" if parts.query else "")
    return response


def handle_unexpected(error: Exception):
    if is_database_unavailable(error):
        current_app.logger.error("database unavailable: %s", error.__class__.__name__, exc_info=error)
        return render_error(ServiceUnavailable.code, [("Retry-After", str(RETRY_AFTER_SECONDS))])
    current_app.logger.exception("unhandled %s", type(error).__name__)
    return render_error(InternalServerError.code)


def is_database_unavailable(error: BaseException) -> bool:
    """The database could not be reached or dropped the connection (a restart, a
    failover, no free connection): a 503, not a fault in this request."""
    from sqlalchemy import exc

    if isinstance(error, (exc.OperationalError, exc.InterfaceError, exc.TimeoutError)):
        return True
    return isinstance(error, exc.DBAPIError) and error.connection_invalidated


def links_for_every_request(app: Flask) -> None:
    """Let every page, error pages included, build its links with ``url_for``.

    A request whose Host cannot be routed (malformed, or not in TRUSTED_HOSTS) gets no
    URL adapter from Flask, so the 400 page explaining it could not build a single
    link. The request keeps its routing error (it is still refused); only the links are
    built, as paths, with an adapter that ignores the host."""
    create = app.create_url_adapter

    def create_url_adapter(request_):
        try:
            return create(request_)
        except HTTPException as error:
            if request_ is None:
                raise
            request_.routing_exception = error
            return app.url_map.bind(
                "invalid.host", script_name=request_.root_path or "/", url_scheme=request_.scheme
            )

    app.create_url_adapter = create_url_adapter


def init_app(app: Flask) -> None:
    links_for_every_request(app)
    app.after_request(relative_location)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
