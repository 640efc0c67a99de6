"""Site pages that are not a capability of their own: the home page, the
accessibility statement, the privacy notice and staying safe online."""

from flask import Blueprint, Response, current_app, render_template

from webapp.page_cache import cacheable

bp = Blueprint("pages", __name__)


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
