"""The snippet under each search result: a few words of the request and answers around
the first match, the matching words marked.

Its cost is bounded by design, whatever the document: it reads at most
:data:`SCAN_CHARS` characters of the text (the search asks the database for no more),
stops at the first match, checks at most :data:`MAX_CANDIDATES` words against the
search terms and marks words only inside the :data:`WORDS`-word window. SQLite's FTS5
``snippet()`` scores a window at every occurrence of a word against every other
occurrence, so its time grows with the square of how often the word occurs (seconds for
a word repeated 16,000 times, minutes for a 1 MB answer); this never loops over
occurrences.

Words match as the SQLite index matches them: Porter stems (snowballstemmer's
``porter``, the algorithm of FTS5's ``porter`` tokenizer), case and diacritics folded.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

SCAN_CHARS = 20_000  # how much of a document a snippet may read
WORDS = 24  # the snippet's length, as FTS5's snippet() was asked for
BEFORE = 6  # words shown before the first match
MAX_CANDIDATES = 200  # words checked against the terms, per document
ELLIPSIS = "…"
WORD = re.compile(r"\w+")

_stemmer = snowballstemmer.stemmer("porter")


@lru_cache(maxsize=4096)
def stem(word: str) -> str:
    folded = unicodedata.normalize("NFKD", word.lower())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return _stemmer.stemWord(folded)


def _candidate_pattern(stems: set[str]) -> re.Pattern:
    """Words that could match: those starting like a stem (Porter stems are the word's
    beginning, give or take the last letter: pony → poni), checked with :func:`stem`."""
    prefixes = sorted({s[:-1] if len(s) > 3 else s for s in stems}, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in prefixes) + r")\w*", re.IGNORECASE)


def snippet(text: str | None, terms: list[str], start: str, stop: str) -> str | None:
    """Up to :data:`WORDS` words of ``text`` around the first word matching ``terms``, the
    matching words between ``start`` and ``stop``; the beginning of the text when nothing
    in the scanned part matches; None for no text."""
    if not text:
        return None
    text = text[:SCAN_CHARS].replace(start, "").replace(stop, "")
    stems = {stem(term) for term in terms if term}
    checked = 0
    first = None
    if stems:
        for found in _candidate_pattern(stems).finditer(text):
            checked += 1
            if stem(found.group()) in stems:
                first = found.start()
                break
            if checked >= MAX_CANDIDATES:
                break
    # The window: a few words before the match, then the rest of WORDS words.
    around = first or 0
    before = [m for m in WORD.finditer(text, max(0, around - 40 * BEFORE), around)][-BEFORE:] if first else []
    window_start = before[0].start() if before else around
    words = []
    for match in WORD.finditer(text, window_start):
        words.append(match)
        if len(words) >= WORDS:
            break
    if not words:
        return None
    end = words[-1].end()
    parts = [ELLIPSIS] if window_start > 0 else []
    position = window_start
    for match in words:
        parts.append(text[position:match.start()])
        word = match.group()
        if stems and stem(word) in stems:
            parts.append(f"{start}{word}{stop}")
        else:
            parts.append(word)
        position = match.end()
    more = WORD.search(text, end) is not None
    if not more:
        parts.append(text[end:end + 40])  # the closing punctuation
    if more or len(text) == SCAN_CHARS:
        parts.append(ELLIPSIS)
    return "".join(parts).strip()
