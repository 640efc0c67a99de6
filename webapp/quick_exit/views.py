"""``/leave``: where the quick exit goes when it cannot run script, and what its beacon calls.

- ``GET /leave`` (the "Leave this site" link without JavaScript): ``303`` to the exit
  address, clearing this site's cookies and storage, never cached, with no Referer.
- ``POST /leave`` (``navigator.sendBeacon`` from the script): ends the session and
  answers ``204``. Best effort: the script never waits for it.

Neither asks the browser to clear its ``"cache"``: that can stall the response.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, redirect, request, session

from webapp.extensions import csrf

bp = Blueprint("quick_exit", __name__)

CLEAR_SITE_DATA = '"cookies", "storage"'
CROSS_SITE = {"cross-site", "same-site"}


def forget_visitor(response: Response) -> Response:
    """End the session and expire every cookie the request carried, for browsers
    without Clear-Site-Data as well as those with it."""
    session.clear()
    for name in request.cookies:
        response.delete_cookie(name, path="/")
    response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/leave")
def leave():
    return forget_visitor(redirect(current_app.config["QUICK_EXIT_URL"], code=303))


@bp.post("/leave")
@csrf.exempt  # it changes nothing but the visitor's own session; sendBeacon cannot carry a token
def leave_beacon():
    # A page on another site must not be able to end a visitor's session here.
    if request.headers.get("Sec-Fetch-Site") in CROSS_SITE:
        abort(403)
    return forget_visitor(Response(status=204))
