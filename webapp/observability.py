"""Logging: one line per event, each carrying the request id and path it belongs to.

The request id is a trusted proxy's ``X-Request-ID`` or a new one; the error pages show
it, so a person can quote it and an operator can find the log lines.
"""

from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, current_app, g, has_request_context, request

REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id() -> str:
    """This request's id: a trusted proxy's X-Request-ID, or a new one."""
    if "request_id" not in g:
        supplied = request.headers.get("X-Request-ID", "")
        trusted = current_app.config.get("PROXY_FIX", 0) > 0
        g.request_id = supplied if trusted and REQUEST_ID_PATTERN.match(supplied) else uuid.uuid4().hex
    return g.request_id


def assign_request_id() -> None:
    """Before every request, so logs and the 500 page share one id."""
    request_id()


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = request_id()
            record.path = request.path
        else:
            record.request_id = "-"
            record.path = "-"
        return True


def configure_logging(app: Flask) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(path)s %(name)s: %(message)s")
    )
    handler.addFilter(RequestIdFilter())
    app.logger.handlers[:] = [handler]
    app.logger.setLevel(app.config["LOG_LEVEL"])
    app.logger.propagate = False
    # Flask-Limiter says here when its storage (Redis) fails and when it recovers.
    limiter_log = logging.getLogger("flask-limiter")
    limiter_log.handlers[:] = [handler]
    limiter_log.setLevel(app.config["LOG_LEVEL"])
    limiter_log.propagate = False


def init_app(app: Flask) -> None:
    configure_logging(app)
    app.before_request(assign_request_id)
