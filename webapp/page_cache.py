"""An in-process cache of whole rendered pages, in front of Flask.

Rendering a GOV.UK page through the Jinja macros costs about 2 ms; serving stored bytes
costs almost nothing. A view opts in with :func:`cacheable`; the middleware then keeps
the finished response (status, headers, compressed body) keyed by everything that can
change it: method, scheme, host, path, query string, Accept-Encoding, the values of the
few cookies that pages read (``vary_cookies``) and the content version. Only complete
``200`` responses that set no cookie are kept. Each worker process has its own cache,
bounded by ``PAGE_CACHE_ENTRIES`` (0 turns it off).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import wraps
from http.cookies import SimpleCookie
from typing import Callable, Hashable

from flask import request

STORE_FLAG = "webapp.page_cache.store"
MAX_KEY_PART = 512


def cacheable(view: Callable) -> Callable:
    """Mark a view's response as safe to replay to anyone with the same cache key.

    The view must depend only on the request's path, query string, the registered
    ``vary_cookies`` and the content version: never on the session.
    """

    @wraps(view)
    def wrapper(*args, **kwargs):
        request.environ[STORE_FLAG] = True
        return view(*args, **kwargs)

    return wrapper


class BoundedStore:
    """A thread-safe mapping that keeps at most ``max_entries``, dropping the oldest."""

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        return self._entries.get(key)

    def put(self, key, value) -> None:
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class PageCache:
    """WSGI middleware serving stored responses for :func:`cacheable` views."""

    def __init__(self, app, max_entries: int, version: Callable[[], object] = lambda: None):
        self.app = app
        self.max_entries = max_entries
        self.version = version
        self.vary_cookies: set[str] = set()
        # Paths whose page also depends on something else in the request: a function of
        # the WSGI environ giving that part of the key (as small as the page needs).
        self.vary_by_path: dict[str, Callable[[dict], Hashable]] = {}
        self._entries = BoundedStore(max_entries)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def key(self, environ) -> tuple | None:
        """Everything that can change a GET's page (None: not cacheable)."""
        if environ.get("REQUEST_METHOD") != "GET":
            return None
        cookie_header = environ.get("HTTP_COOKIE", "")
        cookies: tuple = ()
        if cookie_header and self.vary_cookies:
            parsed = SimpleCookie()
            try:
                parsed.load(cookie_header)
            except Exception:  # noqa: BLE001 - a malformed header is simply not cached
                return None
            cookies = tuple(
                (name, parsed[name].value) for name in sorted(self.vary_cookies) if name in parsed
            )
        parts = (
            environ.get("wsgi.url_scheme", ""),
            environ.get("HTTP_HOST", ""),
            environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
            environ.get("HTTP_ACCEPT_ENCODING", ""),
        )
        if any(len(part) > MAX_KEY_PART for part in parts):
            return None
        extra = self.vary_by_path.get(parts[2])
        return (*parts, cookies, extra(environ) if extra else None, self.version())

    def __call__(self, environ, start_response):
        if not self.max_entries:
            return self.app(environ, start_response)
        key = self.key(environ)
        if key is None:
            return self.app(environ, start_response)

        entry = self._entries.get(key)
        if entry is not None:
            status, headers, body = entry
            start_response(status, list(headers))
            return [body]

        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return start_response(status, headers, exc_info)

        result = self.app(environ, capture)
        if not environ.get(STORE_FLAG):
            return result
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status, headers = captured.get("status", ""), captured.get("headers", [])
        if status.startswith("200") and not any(name.lower() == "set-cookie" for name, _ in headers):
            self._entries.put(key, (status, list(headers), body))
        return [body]
