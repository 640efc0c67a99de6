"""The ceiling for the server: a trivial WSGI app returning stored bytes and headers.

``BENCH_CEILING_FILE`` names a file written by the benchmark: the status line, the
headers and the body of a real response from the app, replayed unchanged.
"""

import json
import os

with open(os.environ["BENCH_CEILING_FILE"], encoding="utf-8") as handle:
    _stored = json.load(handle)

_status = _stored["status"]
_headers = [tuple(header) for header in _stored["headers"]]
_body = _stored["body"].encode("utf-8")


def app(environ, start_response):
    start_response(_status, list(_headers))
    return [_body]
