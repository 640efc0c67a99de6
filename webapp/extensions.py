"""The unbound extension objects, initialised by ``create_app``."""

from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

from webapp.database import Database
from webapp.page_cache import PageCache

db = Database()
csrf = CSRFProtect()
compress = Compress()
page_cache = PageCache()


class AppLimiter(Limiter):
    """Flask-Limiter, re-reading RATELIMIT_KEY_PREFIX on every ``init_app``.

    Flask-Limiter keeps the first app's key prefix for good; one process can hold
    several apps (the tests do), each with its own prefix in a shared Redis."""

    def init_app(self, app) -> None:
        self._key_prefix = app.config.get("RATELIMIT_KEY_PREFIX", "")  # pinned Flask-Limiter 4.1.1
        # A new app starts with its storage taken as working (the in-memory fallback's
        # "storage is down" flag is kept on this shared object, not per app).
        self._storage_dead = False
        super().init_app(app)

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        """Check this request's limits; before every request, only if some limit covers
        more than one view.

        Flask-Limiter runs this before every request (``in_middleware``) for the
        limits that cover many views, and again inside each limited view for the view's
        own limits. The site sets its limits per view (the feedback form's POST), so on
        every other request the first check has nothing to count, yet it costs as much
        as a limited one's. Should default, application, meta, blueprint or in-memory
        fallback limits ever be set, it runs as before."""
        if in_middleware and not self._has_request_wide_limits():
            return
        super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)

    def _has_request_wide_limits(self) -> bool:
        """Whether any limit applies beyond the views it decorates (pinned Flask-Limiter 4.1.1)."""
        manager = self.limit_manager
        return bool(manager._default_limits or manager._application_limits or manager._blueprint_limits
                    or self._meta_limits or self._in_memory_fallback)


# Limits are set per view (e.g. the feedback form); storage and key prefix come from
# RATELIMIT_STORAGE_URI / RATELIMIT_KEY_PREFIX. The client address honours PROXY_FIX.
limiter = AppLimiter(key_func=get_remote_address)
