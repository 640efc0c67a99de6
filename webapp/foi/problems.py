"""What is wrong with a content file, worded for the FOI staff who wrote it.

A :class:`Problem` prints as ``file:line: field: message``. Its text is bounded and holds
nothing a terminal would act on, whatever the file held: the loader and the Markdown
renderer both word their problems with :func:`shown`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Characters XML 1.0 forbids (C0 controls but tab, newline and carriage return; lone
# surrogates; U+FFFE and U+FFFF), and DEL: one of them in a title would make the Atom
# feed unreadable for every subscriber, so a file holding one is refused.
FORBIDDEN_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")

TERMINAL_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

MAX_MESSAGE = 300  # characters of one problem's message


def shorten(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` cut to ``limit`` characters (an ellipsis says it was cut)."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown(value, limit: int = 60) -> str:
    """A value quoted for a message: short, and without characters a terminal would act on."""
    text = repr(value) if not isinstance(value, str) else repr(value[: limit + 1])
    return shorten(FORBIDDEN_CHARACTERS.sub("?", text), limit + 2)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file: printed as ``file:line: field: message``.

    ``line`` is the line of the file the problem is on (1 for the file as a whole).
    ``warning`` problems are told to the author but do not stop the file loading.
    """

    source: str
    field: str
    message: str
    line: int | None = None
    warning: bool = False

    def __post_init__(self) -> None:
        # Cut short, and nothing a terminal would act on (escape sequences in a key).
        object.__setattr__(self, "field", shorten(TERMINAL_CONTROLS.sub("?", str(self.field)), 80))
        object.__setattr__(self, "message", shorten(TERMINAL_CONTROLS.sub("?", str(self.message))))

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        kind = "warning: " if self.warning else ""
        return f"{where}: {kind}{self.field}: {self.message}"
