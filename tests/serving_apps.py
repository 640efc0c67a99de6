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


WAIT_SECONDS = 0.2
LONG_WAIT_SECONDS = 1.5


def waits(environ, start_response):
    """Waits WAIT_SECONDS (LONG_WAIT_SECONDS at ``/long``, or ``?seconds=``) as a request
    waits for a database (the worker's event loop runs meanwhile: ``time.sleep`` is
    gevent's in a gevent worker), then answers with the worker's process id."""
    import os
    from urllib.parse import parse_qs

    asked = parse_qs(environ.get("QUERY_STRING", "")).get("seconds")
    if asked:
        time.sleep(float(asked[0]))
    else:
        time.sleep(LONG_WAIT_SECONDS if environ["PATH_INFO"] == "/long" else WAIT_SECONDS)
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
