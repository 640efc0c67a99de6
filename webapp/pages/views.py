"""Site pages that are not a capability of their own: the home page, the
accessibility statement, the privacy notice and staying safe online."""

from datetime import date
from functools import lru_cache

from babel.dates import format_date
from flask import Blueprint, Response, current_app, render_template
from flask_babel import get_locale

from webapp.page_cache import cacheable

bp = Blueprint("pages", __name__)


def govuk_date(value: date | None) -> str:
    """Every template's dates, GOV.UK style: 29 November 2026 (nothing for no date),
    with the month named in the visitor's language."""
    return localised_date(value, str(get_locale())) if value else ""


@lru_cache(maxsize=4096)
def localised_date(value: date, locale: str) -> str:
    # Babel takes about 20 µs a date; a page of search results repeats few, and cached
    # they cost what the f-string did.
    return format_date(value, "d MMMM y", locale=locale)


@bp.get("/")
@cacheable
def home():
    return render_template("pages/home.html")


@bp.get("/staying-safe-online")
@cacheable
def staying_safe_online():
    return render_template("pages/staying_safe_online.html")


@bp.get("/accessibility-statement")
@cacheable
def accessibility_statement():
    return render_template("pages/accessibility_statement.html")


@bp.get("/privacy")
@cacheable
def privacy():
    return render_template("pages/privacy.html", retention_days=current_app.config["FEEDBACK_RETENTION_DAYS"])


@bp.get("/robots.txt")
@cacheable
def robots_txt():
    """Everything here is public and meant to be found: crawlers may read every page."""
    return Response("User-agent: *\nAllow: /\n", mimetype="text/plain")
