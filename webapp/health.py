"""``/healthz``: can this instance serve? For the load balancer and for monitoring.

- ``ok`` (200): the database answers and, when the rate limit's counters are in Redis,
  Redis answers too.
- ``degraded`` (200): the database answers but the configured Redis does not. The site
  serves every page and takes feedback; the feedback rate limit counts in each worker's
  memory until Redis is back (Flask-Limiter's in-memory fallback). Keep the instance in
  the pool; alert someone.
- ``down`` (503): the database does not answer (or, on SQLite, is no longer the
  configured file: see ``sqlite_file``), so most pages and every feedback form
  cannot be served. The load balancer takes the instance out of its pool.
"""

from flask import Blueprint, Flask, current_app, jsonify

from webapp.extensions import db, limiter

bp = Blueprint("health", __name__)


def redis_configured() -> bool:
    return current_app.config["RATELIMIT_STORAGE_URI"].startswith(("redis://", "rediss://", "redis+"))


def redis_reachable() -> bool:
    try:
        return bool(limiter.storage.check())
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        current_app.logger.warning("health check: the rate limit's Redis did not answer", exc_info=True)
        return False


@bp.get("/healthz")
def healthz():
    database = db.ping()
    redis = redis_reachable() if redis_configured() else None
    if not database:
        status = "down"
    elif redis is False:
        status = "degraded"
    else:
        status = "ok"
    response = jsonify(status=status, database=database, redis=redis)
    response.status_code = 503 if status == "down" else 200
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
