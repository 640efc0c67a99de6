"""Validation of the quick exit's settings, called by ``webapp.config.load`` at start-up
(and again by the quick exit's ``init_app`` for values passed as overrides)."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from webapp.config_error import ConfigError

# Neutral and not personalised: it shows the same thing to everyone and needs no account.
DEFAULT_EXIT_URL = "https://www.bbc.co.uk/weather"
ESCAPE_PRESS_CHOICES = (1, 2)


def exit_url(value: str | None) -> str:
    """``QUICK_EXIT_URL``: an absolute https URL with a host, no credentials, no spaces."""
    value = (value or "").strip() or DEFAULT_EXIT_URL
    problem = None
    if any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in value):
        problem = "must not contain spaces or control characters"
    else:
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError:
            parts = None
            problem = "is not a valid URL"
        if parts is not None:
            if parts.scheme != "https":
                problem = "must be an absolute https:// URL"
            elif not parts.hostname:
                problem = "must name a host"
            elif parts.username is not None or parts.password is not None:
                problem = "must not contain a user name or password"
    if problem:
        raise ConfigError(f"QUICK_EXIT_URL {problem}, got {value!r}")
    return value


def escape_presses(value: str | int | None) -> int:
    """``QUICK_EXIT_ESCAPE_PRESSES``: 1 (a single press, as the site's instruction says) or 2 (a double press)."""
    raw = str(value).strip() if value is not None else ""
    if not raw:
        return 1
    if raw not in {str(choice) for choice in ESCAPE_PRESS_CHOICES}:
        raise ConfigError(f"QUICK_EXIT_ESCAPE_PRESSES must be 1 or 2, got {raw!r}")
    return int(raw)


def load(env: Mapping[str, str]) -> dict:
    return {
        "QUICK_EXIT_URL": exit_url(env.get("QUICK_EXIT_URL")),
        "QUICK_EXIT_ESCAPE_PRESSES": escape_presses(env.get("QUICK_EXIT_ESCAPE_PRESSES")),
    }


def validate(config: Mapping) -> None:
    """Check the values the app will actually use (overrides included)."""
    exit_url(config.get("QUICK_EXIT_URL"))
    escape_presses(config.get("QUICK_EXIT_ESCAPE_PRESSES"))
