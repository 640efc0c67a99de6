"""Every setting, read from the environment in one place.

Code asks ``current_app.config``; nothing else reads ``os.environ``. Defaults are
safe for a developer's machine; production refuses to start without a real
``SECRET_KEY``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from webapp.config_error import ConfigError
from webapp.quick_exit import settings as quick_exit_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"

PRODUCTION_NAMES = {"production", "prod"}
# Every name APP_ENV (or FLASK_ENV) may have: a typo must not start the site in development mode.
ENVIRONMENTS = ("development", "dev", "test", "testing", *sorted(PRODUCTION_NAMES))
DEVELOPMENT_SITE_URL = "http://127.0.0.1:5000"
DATABASE_SCHEMES = ("sqlite", "sqlite+pysqlite", "postgresql", "postgres", "postgresql+psycopg")

# When this site's accessibility statement was written and last checked against the
# site (the quality gates in tests/quality/ are what it reports on).
STATEMENT_PREPARED = date(2026, 11, 29)
STATEMENT_REVIEWED = date(2026, 11, 29)


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"expected true or false, got {value!r}")


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not 0 <= value <= 3600:
        raise ConfigError(f"{name} must be between 0 and 3600 seconds, got {value}")
    return value


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _choice(env: Mapping[str, str], name: str, default: str, allowed, upper: bool = False) -> str:
    raw = env.get(name, "").strip() or default
    value = raw.upper() if upper else raw.lower()
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {raw!r}")
    return value


def _storage_uri(env: Mapping[str, str], name: str, default: str) -> str:
    """A storage address Flask-Limiter understands (memory://, redis://host:6379/0, ...)."""
    from limits.storage import SCHEMES

    raw = env.get(name, "").strip() or default
    scheme = raw.split("://", 1)[0] if "://" in raw else ""
    if scheme not in SCHEMES:
        raise ConfigError(f"{name} must be an address such as memory:// or redis://HOST:6379/0, got {raw!r}")
    return raw


def _list(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def _rate_limit(env: Mapping[str, str], name: str, default: str) -> str:
    """A Flask-Limiter limit string ("10 per minute;60 per hour"), checked at start-up."""
    from limits import parse_many

    raw = env.get(name, "").strip() or default
    try:
        parse_many(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a rate limit such as '10 per minute', got {raw!r}") from None
    return raw


def _date(env: Mapping[str, str], name: str, default: date) -> date:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a date written YYYY-MM-DD, got {raw!r}") from None


def app_env(env: Mapping[str, str]) -> str:
    """The environment name: APP_ENV, else FLASK_ENV, else development; one of ENVIRONMENTS."""
    name = "APP_ENV" if env.get("APP_ENV", "").strip() else "FLASK_ENV"
    value = (env.get(name) or "development").strip().lower()
    if value not in ENVIRONMENTS:
        raise ConfigError(f"{name} must be one of {', '.join(ENVIRONMENTS)}, got {value!r}")
    return value


def site_url(env: Mapping[str, str], production: bool) -> str:
    """SITE_URL: the site's public address (scheme and host, e.g. https://foi.example.org),
    the only source of absolute links. Required in production."""
    raw = env.get("SITE_URL", "").strip()
    if not raw:
        if production:
            raise ConfigError("SITE_URL must be set when APP_ENV is production: the public address, "
                              "such as https://foi.example.org")
        return DEVELOPMENT_SITE_URL
    form = "an address such as https://foi.example.org (http or https, a host, no path or query)"
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise ConfigError(f"SITE_URL must be {form}, got {raw!r}") from None
    if (parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/")
            or parts.query or parts.fragment or parts.username or parts.password
            or any(ch.isspace() or ord(ch) < 0x20 for ch in raw)):
        raise ConfigError(f"SITE_URL must be {form}, got {raw!r}")
    return f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port else "")


def database_url(env: Mapping[str, str]) -> str:
    """DATABASE_URL, checked at start-up so a typo names the setting."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    raw = env.get("DATABASE_URL", "").strip()
    if not raw:
        return default_database_url()
    form = "sqlite:///PATH or postgresql://USER@HOST[:PORT]/DATABASE"
    try:
        parsed = make_url(raw)
    except (ArgumentError, ValueError):
        raise ConfigError(f"DATABASE_URL must be {form}, got something else") from None
    if parsed.drivername not in DATABASE_SCHEMES:
        raise ConfigError(f"DATABASE_URL must be {form}, got the scheme {parsed.drivername!r}")
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database:
            raise ConfigError(f"DATABASE_URL must be {form}: the SQLite address names no file")
    elif not parsed.host or not parsed.database:
        raise ConfigError(f"DATABASE_URL must be {form}: the PostgreSQL address needs a host and a database")
    return raw


def trusted_hosts(env: Mapping[str, str], url: str) -> list[str]:
    """The hosts the site answers in production: SITE_URL's, plus TRUSTED_HOSTS (a comma
    list, e.g. an internal name a health check uses)."""
    extra = _list(env.get("TRUSTED_HOSTS"))
    for host in extra:
        if any(ch in "/:@\\" or ch.isspace() for ch in host):
            raise ConfigError(f"TRUSTED_HOSTS must be host names separated by commas, got {host!r}")
    hosts = [urlsplit(url).hostname, *extra]
    return hosts


DEVELOPMENT_KEY_FILE = "secret_key"


def development_secret_key(folder: Path) -> str:
    """The development ``SECRET_KEY``: generated once into ``folder/secret_key``, then read.

    Workers starting together may all find no file. Each writes its own candidate to a
    private temporary file and hard-links it into place; a link never replaces an
    existing file, so exactly one candidate wins and every process then reads the
    winner's complete key (never a half-written one).
    """
    path = folder / DEVELOPMENT_KEY_FILE
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        candidate = folder / f".{DEVELOPMENT_KEY_FILE}.{os.getpid()}.{secrets.token_hex(8)}"
        descriptor = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_hex(32) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(candidate, path)
            except FileExistsError:
                pass  # another process won the race: use its key
        finally:
            candidate.unlink()
    key = path.read_text(encoding="utf-8").strip()
    if len(key) < 32:
        raise ConfigError(f"{path} holds no usable key: delete it and a new one is made at the next start")
    return key


def default_database_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'foi.sqlite3'}"


def load(env: Mapping[str, str] | None = None) -> dict:
    """Build the settings from an environment mapping (``os.environ`` by default)."""
    env = os.environ if env is None else env
    environment = app_env(env)
    production = environment in PRODUCTION_NAMES

    secret_key = env.get("SECRET_KEY", "").strip()
    if not secret_key:
        if production:
            raise ConfigError(
                "SECRET_KEY must be set when APP_ENV (or FLASK_ENV) is production: "
                "generate one with `python -c 'import secrets; print(secrets.token_hex(32))'`"
            )
        # One key for every worker and instance on this machine, kept in the
        # instance folder: a form served by one worker is accepted by another.
        secret_key = development_secret_key(INSTANCE_DIR)
    elif production and len(secret_key) < 32:
        raise ConfigError("SECRET_KEY must be at least 32 characters in production")

    public_url = site_url(env, production)
    proxy_fix = _int(env, "PROXY_FIX", 0)
    analytics = analytics_settings(env)
    organisation = env.get("ORGANISATION_NAME", "").strip() or "Example Police Service"
    contact_email = env.get("CONTACT_EMAIL", "").strip() or "foi@example.org"

    try:
        debug = _bool(env.get("FLASK_DEBUG"), False)
    except ConfigError as error:
        raise ConfigError(f"FLASK_DEBUG: {error}") from None

    return {
        "APP_ENV": environment,
        "PRODUCTION": production,
        "DEBUG": debug and not production,
        "TESTING": False,
        "SECRET_KEY": secret_key,
        "SECRET_KEY_FALLBACKS": _list(env.get("SECRET_KEY_FALLBACKS")),
        "DATABASE_URL": database_url(env),
        # Absolute links (feeds, redirects) are built from this, never from the request's Host.
        "SITE_URL": public_url,
        # In production any other Host gets the 400 page (Flask checks request.host against this).
        "TRUSTED_HOSTS": trusted_hosts(env, public_url) if production else None,
        "ORGANISATION_NAME": organisation,
        "SERVICE_NAME": env.get("SERVICE_NAME", "").strip() or "Freedom of information responses",
        "CONTACT_URL": env.get("CONTACT_URL", "").strip() or "mailto:foi@example.org",
        # The accessibility statement and privacy notice are built from these.
        "CONTACT_EMAIL": contact_email,
        "CONTACT_PHONE": env.get("CONTACT_PHONE", "").strip() or "01632 960 001",
        "ACCESSIBILITY_ENFORCEMENT_BODY": env.get("ACCESSIBILITY_ENFORCEMENT_BODY", "").strip()
        or "Equality and Human Rights Commission (EHRC)",
        "ACCESSIBILITY_STATEMENT_PREPARED": _date(env, "ACCESSIBILITY_STATEMENT_PREPARED", STATEMENT_PREPARED),
        "ACCESSIBILITY_STATEMENT_REVIEWED": _date(env, "ACCESSIBILITY_STATEMENT_REVIEWED", STATEMENT_REVIEWED),
        "DATA_CONTROLLER": env.get("DATA_CONTROLLER", "").strip() or organisation,
        "DATA_CONTROLLER_ADDRESS": env.get("DATA_CONTROLLER_ADDRESS", "").strip()
        or "Police Headquarters, 1 Example Road, Exampletown, EX1 1AA",
        "DPO_EMAIL": env.get("DPO_EMAIL", "").strip() or "dpo@example.org",
        "FEEDBACK_RETENTION_DAYS": _int(env, "FEEDBACK_RETENTION_DAYS", 365, minimum=1),
        "PROXY_FIX": proxy_fix,
        "MAX_CONTENT_LENGTH": _int(env, "MAX_CONTENT_LENGTH", 64 * 1024, minimum=1024),
        "PAGE_CACHE_ENTRIES": _int(env, "PAGE_CACHE_ENTRIES", 1024),
        # Bytes of rendered pages each worker keeps (bodies, headers, keys); 0 turns the cache off.
        "PAGE_CACHE_BYTES": _int(env, "PAGE_CACHE_BYTES", 32 * 1024 * 1024),
        "FOI_CONTENT_DIR": env.get("FOI_CONTENT_DIR", "").strip() or str(PROJECT_ROOT / "content" / "foi"),
        "FOI_VERSION_TTL": _float(env, "FOI_VERSION_TTL", 1.0),
        # PostgreSQL: how many of a new content version's most common words one process
        # works out in the background for every worker (webapp/foi/word_store.py); 0: none.
        "SEARCH_WARM_WORDS": _int(env, "SEARCH_WARM_WORDS", 500),
        "LOG_LEVEL": _choice(env, "LOG_LEVEL", "INFO", LOG_LEVELS, upper=True),
        # Cookie consent (webapp/consent/): raising the version asks everyone again.
        "COOKIE_POLICY_VERSION": _int(env, "COOKIE_POLICY_VERSION", 1, minimum=1),
        **analytics,
        # Beta feedback (webapp/feedback): spam and load protection, retention.
        "FEEDBACK_RATE_LIMIT": _rate_limit(env, "FEEDBACK_RATE_LIMIT", "10 per minute;60 per hour"),
        "FEEDBACK_MIN_FILL_SECONDS": _int(env, "FEEDBACK_MIN_FILL_SECONDS", 3),
        # Flask-Limiter: counters in this process by default; a shared Redis
        # (redis://host:6379/0) when several instances or workers must share them.
        "RATELIMIT_STORAGE_URI": _storage_uri(env, "RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_KEY_PREFIX": env.get("RATELIMIT_KEY_PREFIX", "").strip() or "foi",
        "RATELIMIT_HEADERS_ENABLED": True,
        # If the limiter's storage is down, feedback keeps working: Flask-Limiter logs a
        # warning and counts the same limits in each worker's memory until the storage
        # answers again (it checks with a back-off of 1, 2, 4 ... 32 seconds). Any other
        # limiter error is logged and the request let through: feedback is never lost
        # because Redis is.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        # A Redis that hangs must not hang the form: give up on it quickly.
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        # Where the quick exit goes (absolute https) and how many Escape presses trigger it.
        **quick_exit_settings.load(env),
        # Cookies the app may ever set are hardened whatever sets them.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        # Templates are read once per process: checking each for changes costs dozens of
        # stat() calls a render.
        "TEMPLATES_AUTO_RELOAD": debug and not production,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        # Flask-Compress: Brotli or gzip for every text response (the page cache keys by
        # which one a request gets: webapp/page_cache.py).
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "COMPRESS_MIMETYPES": ["text/html", "application/json", "application/atom+xml", "text/csv", "text/plain"],
        "COMPRESS_BR_LEVEL": 5,
        # A 64 KB window, not Flask-Compress's 4 MB: the same bytes or fewer for every
        # page and export measured, 11-18 % less time compressing a page (docs/benchmarks.md).
        "COMPRESS_BR_WINDOW": 16,
        "COMPRESS_LEVEL": 6,
    }


ANALYTICS_PROVIDERS = ("plausible", "matomo", "ga4")
GA4_SCRIPT_URL = "https://www.googletagmanager.com/gtag/js"


def analytics_settings(env: Mapping[str, str]) -> dict:
    """The optional analytics integration: off unless ANALYTICS_PROVIDER is set.

    plausible: ANALYTICS_SCRIPT_URL is the script (e.g. https://plausible.example.org/js/script.js),
    ANALYTICS_SITE_ID the domain it counts. matomo: ANALYTICS_SCRIPT_URL is the Matomo base
    address (https://matomo.example.org/), ANALYTICS_SITE_ID the site id. ga4:
    ANALYTICS_SITE_ID is the measurement id (G-...); the script is Google's.
    """
    provider = env.get("ANALYTICS_PROVIDER", "").strip().lower()
    script_url = env.get("ANALYTICS_SCRIPT_URL", "").strip()
    site_id = env.get("ANALYTICS_SITE_ID", "").strip()
    if not provider or provider == "none":
        return {"ANALYTICS_PROVIDER": "", "ANALYTICS_SCRIPT_URL": "", "ANALYTICS_SITE_ID": ""}
    if provider not in ANALYTICS_PROVIDERS:
        raise ConfigError(
            f"ANALYTICS_PROVIDER must be one of {', '.join(ANALYTICS_PROVIDERS)} or empty, got {provider!r}"
        )
    if provider == "ga4":
        script_url = script_url or GA4_SCRIPT_URL
    if not script_url.startswith("https://"):
        raise ConfigError(f"ANALYTICS_SCRIPT_URL must be an https:// address for {provider}, got {script_url!r}")
    if not site_id or any(ch in site_id for ch in "<>\"'&"):
        raise ConfigError(f"ANALYTICS_SITE_ID must be set for {provider} (a site id, domain or G- id)")
    return {"ANALYTICS_PROVIDER": provider, "ANALYTICS_SCRIPT_URL": script_url, "ANALYTICS_SITE_ID": site_id}
