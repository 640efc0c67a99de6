"""``/healthz`` for load balancers and monitoring: 200 when the database answers (and, on
SQLite, is still the configured file: see ``sqlite_file``), else 503."""

from flask import Blueprint, current_app, jsonify

from webapp import sqlite_file
from webapp.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    healthy = db.ping() and database_file_ok()
    response = jsonify(status="ok" if healthy else "unavailable", database=healthy)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def database_file_ok() -> bool:
    """False when the SQLite file was deleted, replaced or cannot be written."""
    try:
        with db.engine.connect() as connection:
            trouble = sqlite_file.problem(connection)
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        current_app.logger.exception("database file check failed")
        return False
    if trouble:
        current_app.logger.error("database unhealthy: %s", trouble)
    return trouble is None
