"""The one error a setting can raise: every way of starting the site prints it as one line."""

from __future__ import annotations

import click
from gunicorn.errors import AppImportError


class ConfigError(click.ClickException, AppImportError, RuntimeError):
    """A setting is missing or invalid: the app refuses to start.

    The message names the setting and the form it takes. The bases make each way of
    starting the site print that one line and stop, without a traceback: ``flask ...``
    prints a ClickException as ``Error: <message>``; a gunicorn worker prints an
    AppImportError as its message and the master stops ("App failed to load");
    gunicorn ``--preload`` prints a RuntimeError as ``Error: <message>``."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message
