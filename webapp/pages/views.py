from flask import Blueprint, render_template

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
