"""Tiny WSGI apps served by gunicorn in tests/test_serving.py."""

import time

BUSY_SECONDS = 0.05


def busy(environ, start_response):
    """Holds the CPU for BUSY_SECONDS (as a page being drawn does, never yielding), then answers."""
    until = time.perf_counter() + BUSY_SECONDS
    while time.perf_counter() < until:
        pass
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
