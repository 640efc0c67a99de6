"""``/healthz`` for load balancers and monitoring: 200 when the database answers, else 503."""

from flask import Blueprint, jsonify

from webapp.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    healthy = db.ping()
    response = jsonify(status="ok" if healthy else "unavailable", database=healthy)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
