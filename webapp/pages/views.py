from flask import Blueprint, render_template

from webapp.page_cache import cacheable

bp = Blueprint("pages", __name__)


@bp.get("/")
@cacheable
def home():
    return render_template("pages/home.html")
