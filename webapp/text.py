"""Text that came from outside (a query string, a form), made safe to keep, show and export.

One rule, applied where input is read, so the stored row, the page and every export see the
same characters:

- control characters (C0 such as NUL, BEL and ESC, DEL and the C1 range) are removed: they
  have no meaning in what a person types, and a raw ESC sequence reaching a staff terminal
  through an export can rewrite what the terminal shows;
- lone surrogates (which cannot be encoded) and the bidirectional embedding, override and
  isolate controls (which reorder what a reader sees) are removed too;
- in multi-line text, newlines and tabs survive (CRLF and CR become LF; the Unicode line
  and paragraph separators become LF); in single-line text every line break or tab is a
  space.

Joiners (U+200C, U+200D) and other format characters that scripts and emoji need are kept.
"""

from __future__ import annotations

import re

BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
# Everything removed outright, in both modes.
_REMOVED = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff" + BIDI_CONTROLS + "]"
)
_LINE_BREAKS = re.compile("\r\n?|[\u2028\u2029\x85]")
_SINGLE_LINE_SPACE = re.compile("[\t\n]")


def clean_text(value: str, multiline: bool = False) -> str:
    """``value`` without control characters (see the module's rules)."""
    if not value:
        return ""
    value = _LINE_BREAKS.sub("\n", value)
    value = _REMOVED.sub("", value)
    if not multiline:
        value = _SINGLE_LINE_SPACE.sub(" ", value)
    return value

