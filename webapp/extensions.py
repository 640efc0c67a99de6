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


# Limits are set per view (e.g. the feedback form); storage and key prefix come from
# RATELIMIT_STORAGE_URI / RATELIMIT_KEY_PREFIX. The client address honours PROXY_FIX.
limiter = AppLimiter(key_func=get_remote_address)
