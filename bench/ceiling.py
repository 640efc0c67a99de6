"""The ceiling for the server: a trivial WSGI app returning stored bytes and headers.

``BENCH_CEILING_FILE`` names a file written by the benchmark: the status line, the
headers and the body of a real response from the app, replayed unchanged; or such a
response per request method (``{"GET": {...}, "POST": {...}}``).
"""

import json
import os

with open(os.environ["BENCH_CEILING_FILE"], encoding="utf-8") as handle:
    _stored = json.load(handle)


def _prepared(stored):
    return stored["status"], [tuple(header) for header in stored["headers"]], stored["body"].encode("utf-8")


_responses = {"*": _prepared(_stored)} if "status" in _stored else {
    method: _prepared(stored) for method, stored in _stored.items()
}
_default = _responses.get("*") or _responses["GET"]


def app(environ, start_response):
    status, headers, body = _responses.get(environ["REQUEST_METHOD"], _default)
    start_response(status, list(headers))
    return [body]
