"""The unbound extension objects, initialised by ``create_app``."""

from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

from webapp.database import Database

db = Database()
csrf = CSRFProtect()
compress = Compress()
# Limits are set per view (e.g. the feedback form); storage and key prefix come from
# RATELIMIT_STORAGE_URI / RATELIMIT_KEY_PREFIX. The client address honours PROXY_FIX.
limiter = Limiter(key_func=get_remote_address)
