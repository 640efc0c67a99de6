"""An in-process cache of whole rendered pages, in front of Flask.

Rendering a GOV.UK page through the Jinja macros costs about 2 ms; serving stored bytes
costs almost nothing. A view opts in with :func:`cacheable`; the middleware then keeps
the finished response (status, headers, compressed body) keyed by everything that can
change it: method, scheme, host, path, query string, Accept-Encoding, and what the
capabilities add through the :class:`PageCache` extension (the values of the few cookies
that pages read, the FOI content version). Only complete ``200`` responses that set no
cookie are kept. Each worker process has its own cache per app, bounded in bytes by
``PAGE_CACHE_BYTES`` (bodies, headers and keys counted; one entry may take at most a
sixteenth of it) and in number by ``PAGE_CACHE_ENTRIES`` (0 turns it off).

Each cacheable view declares the query parameters it reads (``@cacheable(params=...)``;
bare ``@cacheable`` reads none). A request carrying any other parameter is redirected to
the same address without it, so junk parameters can never multiply the entries. The key
uses the response encoding the request would get (br, gzip or none), not the raw
``Accept-Encoding`` header, for the same reason.

A hit replays the stored headers plus whatever the ``on_hit`` hooks add for this
request (consent uses one to delete analytics cookies sent without consent, exactly as
a miss would)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from functools import wraps
from http.cookies import SimpleCookie
from urllib.parse import quote, urlencode

from flask import Flask, current_app, redirect, request

# Flask-Compress's own choice of algorithm (pinned version), so the key matches what it sends.
from flask_compress.flask_compress import _choose_algorithm

STORE_FLAG = "webapp.page_cache.store"
MAX_KEY_PART = 512
# The algorithms Flask-Compress is given (COMPRESS_ALGORITHM in config.py).
COMPRESSED = ("br", "gzip")
ENTRY_OVERHEAD = 512  # bytes counted per entry for the tuple, the dict slot and the key


def cacheable(view: Callable | None = None, *, params: Iterable[str] = ()) -> Callable:
    """Mark a view's response as safe to replay to anyone with the same cache key.

    The view must depend only on the request's path, the query parameters named in
    ``params`` and what the cache is keyed by (see :class:`PageCache`): never on the
    session. A request with any other parameter is redirected (308, a relative address)
    to the same path with only the parameters the view reads.
    """
    reads = frozenset(params)

    def decorate(function: Callable) -> Callable:
        @wraps(function)
        def wrapper(*args, **kwargs):
            unread = [name for name in request.args if name not in reads]
            if unread:
                kept = [(name, value) for name, value in request.args.items(multi=True) if name in reads]
                query = urlencode(kept)
                # Relative, and never starting with "//": it cannot leave the site.
                path = "/" + quote(request.path.lstrip("/"), safe="/")
                return redirect(path + (f"?{query}" if query else ""), 308)
            request.environ[STORE_FLAG] = True
            return function(*args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate


def entry_size(key, value) -> int:
    """Roughly what an entry costs in memory: its bytes, its strings, and an overhead."""
    size = ENTRY_OVERHEAD
    for part in (key, value):
        for item in part if isinstance(part, tuple) else (part,):
            if isinstance(item, (bytes, str)):
                size += len(item)
            elif isinstance(item, (list, tuple)):
                size += sum(len(a) + len(b) for a, b in item if isinstance(a, str) and isinstance(b, str))
    return size


class BoundedStore:
    """A thread-safe mapping that keeps at most ``max_entries`` and ``max_bytes`` (as
    measured by ``size``), dropping the oldest. An entry over ``max_bytes // 16`` is not
    kept at all: one huge page must not push out everything else."""

    def __init__(self, max_entries: int, max_bytes: int | None = None, size: Callable = entry_size):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.size = size
        self.bytes = 0
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        return self._entries.get(key, (None, 0))[0]

    def put(self, key, value) -> bool:
        cost = self.size(key, value) if self.max_bytes is not None else 0
        if self.max_bytes is not None and cost > self.max_bytes // 16:
            return False
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            self._entries[key] = (value, cost)
            self.bytes += cost
            while self._entries and (len(self._entries) > self.max_entries
                                     or (self.max_bytes is not None and self.bytes > self.max_bytes)):
                _, (_, dropped) = self._entries.popitem(last=False)
                self.bytes -= dropped
        return True

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.bytes = 0

    def __len__(self) -> int:
        return len(self._entries)


class CachedPages:
    """One app's cache: WSGI middleware serving stored responses for :func:`cacheable`
    views. Built by :meth:`PageCache.init_app`; capabilities change what it keys by
    through the :class:`PageCache` methods, never by setting its attributes."""

    def __init__(self, app, max_entries: int, max_bytes: int = 32 * 1024 * 1024):
        self.app = app
        self.max_entries = max_entries if max_bytes else 0
        # Parts of every key beyond the request's own (e.g. the FOI content version).
        self.key_parts: list[Callable[[], Hashable]] = []
        self.vary_cookies: set[str] = set()
        # Paths whose page also depends on something else in the request: a function of
        # the WSGI environ giving that part of the key (as small as the page needs).
        self.vary_by_path: dict[str, Callable[[dict], Hashable]] = {}
        self.hit_headers: list[Callable[[dict], list[tuple[str, str]]]] = []
        self._entries = BoundedStore(max_entries, max_bytes)

    @property
    def bytes(self) -> int:
        return self._entries.bytes

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
            response_encoding(environ.get("HTTP_ACCEPT_ENCODING", "")),
        )
        if any(len(part) > MAX_KEY_PART for part in parts):
            return None
        extra = self.vary_by_path.get(parts[2])
        return (*parts, cookies, extra(environ) if extra else None, *(part() for part in self.key_parts))

    def __call__(self, environ, start_response):
        if not self.max_entries:
            return self.app(environ, start_response)
        key = self.key(environ)
        if key is None:
            return self.app(environ, start_response)

        entry = self._entries.get(key)
        if entry is not None:
            status, headers, body = entry
            extra = [header for hook in self.hit_headers for header in hook(environ)]
            start_response(status, list(headers) + extra)
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


class PageCache:
    """The page cache as a Flask extension: ``page_cache.init_app(app)`` puts the app's
    :class:`CachedPages` between the WSGI server and Flask (``app.extensions["page_cache"]``),
    sized by ``PAGE_CACHE_ENTRIES`` and ``PAGE_CACHE_BYTES`` and off in debug mode.

    Each app has its own entries and its own hooks (one process may hold several apps).
    Capabilities add what their pages depend on, from their own ``init_app``:

    - :meth:`key_by`: a function whose value is part of every key (a content version);
    - :meth:`vary_by_cookies`: cookies whose values split the cache;
    - :meth:`vary_path_by`: one path's page also depends on a function of the request;
    - :meth:`on_hit`: headers added to a stored response when it is replayed.
    """

    def init_app(self, app: Flask) -> None:
        max_entries = 0 if app.config["DEBUG"] else app.config["PAGE_CACHE_ENTRIES"]
        cache = CachedPages(app.wsgi_app, max_entries=max_entries, max_bytes=app.config["PAGE_CACHE_BYTES"])
        app.extensions["page_cache"] = cache
        app.wsgi_app = cache

    @staticmethod
    def of(app: Flask | None = None) -> CachedPages:
        """The cache of ``app`` (the current app by default)."""
        return (app or current_app).extensions["page_cache"]

    def key_by(self, app: Flask, part: Callable[[], Hashable]) -> None:
        """Make ``part()`` a part of every key of ``app``'s cache: when its value
        changes, every page is rendered afresh."""
        self.of(app).key_parts.append(part)

    def vary_by_cookies(self, app: Flask, *names: str) -> None:
        """Keep a separate page for each value of these cookies."""
        self.of(app).vary_cookies.update(names)

    def vary_path_by(self, app: Flask, path: str, part: Callable[[dict], Hashable]) -> None:
        """The page at ``path`` also depends on ``part(environ)``: keep one per value."""
        self.of(app).vary_by_path[path] = part

    def on_hit(self, app: Flask, headers: Callable[[dict], list[tuple[str, str]]]) -> None:
        """Add ``headers(environ)`` to every response replayed from ``app``'s cache."""
        self.of(app).hit_headers.append(headers)

    def key(self, environ) -> tuple | None:
        """The current app's key for this request; None when the cache is off or the
        request is not cacheable."""
        cache = self.of()
        return cache.key(environ) if cache.max_entries else None

    def clear(self, app: Flask | None = None) -> None:
        """Forget every stored page of ``app`` (the current app by default)."""
        self.of(app).clear()


def response_encoding(accept_encoding: str) -> str:
    """The encoding a response to this ``Accept-Encoding`` gets (br, gzip or identity),
    chosen by Flask-Compress's own rule, so that spelling the header differently never
    makes a new cache entry."""
    if not accept_encoding:
        return "identity"
    return _choose_algorithm(COMPRESSED, accept_encoding[:MAX_KEY_PART]) or "identity"
