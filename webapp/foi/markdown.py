"""Markdown for response pages: CommonMark without raw HTML, GOV.UK classes added, then
sanitised with nh3, so what is stored is safe to put on a page.

Rendered once, at import. HTML comments are notes for colleagues: dropped before
anything else, never published, never indexed. What cannot be shown (an image, nesting
too deep) is a problem for the author, never a silent loss.
"""

from __future__ import annotations

import html
import re

import nh3
from markdown_it import MarkdownIt

from webapp.foi.problems import shown
from webapp.i18n import gettext

# Markdown nested deeper than this (lists and quotes inside each other) is refused:
# markdown-it stops at 20 levels and would drop the innermost text without a word.
MAX_MARKDOWN_NESTING = 20


class MarkdownRenderer:
    """CommonMark (plus tables) without raw HTML, with GOV.UK classes, then sanitised.

    ``heading_offset`` shifts heading levels so that a ``#`` inside an answer sits below
    the page's own headings.
    """

    BLOCK_CLASSES = {
        "paragraph_open": "govuk-body",
        "bullet_list_open": "govuk-list govuk-list--bullet",
        "ordered_list_open": "govuk-list govuk-list--number",
        "table_open": "govuk-table",
        "thead_open": "govuk-table__head",
        "tbody_open": "govuk-table__body",
        "tr_open": "govuk-table__row",
        "th_open": "govuk-table__header",
        "td_open": "govuk-table__cell",
        "blockquote_open": "govuk-inset-text",
        "hr": "govuk-section-break govuk-section-break--m govuk-section-break--visible",
        "code_block": "app-code",
        "fence": "app-code",
    }
    HEADING_CLASSES = {3: "govuk-heading-m", 4: "govuk-heading-s", 5: "govuk-heading-s", 6: "govuk-heading-s"}
    ALLOWED_TAGS = {
        "p", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "a", "strong", "em",
        "code", "pre", "blockquote", "hr", "br", "h3", "h4", "h5", "h6",
    }
    PLAIN = re.compile(r"[\\`*_\[\]<>#!|~&\t]|^(?:[ ]|\d+[.)]|[-+*>=])|[ ]$|^$", re.MULTILINE)

    def __init__(self, heading_offset: int = 2):
        self.offset = heading_offset
        # markdown-it silently drops what is nested deeper than maxNesting: parse with
        # room to spare, and refuse (``check``) anything nested past MAX_MARKDOWN_NESTING.
        self.md = MarkdownIt(
            "commonmark", {"html": False, "linkify": False, "maxNesting": MAX_MARKDOWN_NESTING + 20},
        ).enable("table")

    def render(self, text: str) -> str:
        return self.check(text)[0]

    def render_with_text(self, text: str) -> tuple[str, str]:
        """The safe HTML and its plain text (for the search index)."""
        rendered, plain, _ = self.check(text)
        return rendered, plain

    def check(self, text: str) -> tuple[str, str, list[tuple[int, str]]]:
        """The safe HTML, its plain text (for the search index), and what the author must
        fix: ``(line, message)`` pairs, ``line`` counted from 0 in ``text``.

        HTML comments are dropped before anything else (they are notes for colleagues,
        never for the public, and never indexed); an image or nesting too deep to show
        is a problem, never a silent loss.
        """
        problems: list[tuple[int, str]] = []
        text, comment_problems = strip_comments(text)
        problems.extend(comment_problems)
        leading = len(text) - len(text.lstrip())
        offset = text[:leading].count("\n")
        text = text.strip()
        if not text:
            return "", "", problems
        if not self.PLAIN.search(text):
            # One paragraph of plain words: what CommonMark would produce, without the
            # parser (generated samples and many short answers take this path).
            return f'<p class="govuk-body">{html.escape(text, quote=False)}</p>', text, problems
        rendered, found = self._render_markdown(text)
        problems.extend((offset + line, message) for line, message in found[:10])
        if len(found) > 10:
            problems.append((offset + found[10][0], f"... and {len(found) - 10} more problems like these"))
        return rendered, html_to_text(rendered), problems

    def _render_markdown(self, text: str) -> tuple[str, list[tuple[int, str]]]:
        tokens = self.md.parse(text)
        problems: list[tuple[int, str]] = []
        too_deep = next((t for t in tokens if t.level >= MAX_MARKDOWN_NESTING), None)
        if too_deep is not None:
            problems.append((
                (too_deep.map or [0])[0],
                "lists or quotes are nested too deeply inside each other for the page to show "
                "the innermost text: nest them less deeply",
            ))
        for token in tokens:
            if token.type in ("heading_open", "heading_close"):
                level = min(6, int(token.tag[1]) + self.offset)
                token.tag = f"h{level}"
                if token.type == "heading_open":
                    token.attrSet("class", self.HEADING_CLASSES[max(3, level)])
            elif token.type in self.BLOCK_CLASSES:
                token.attrSet("class", self.BLOCK_CLASSES[token.type])
            elif token.type == "inline" and token.children:
                for child in token.children:
                    if child.type == "link_open":
                        child.attrSet("class", "govuk-link")
                    elif child.type == "image":
                        alt = shown(child.content or "")
                        problems.append((
                            (token.map or [0])[0],
                            f"an image (![{alt[1:-1]}](...)) cannot be shown on a response page: "
                            "attach the file under 'attachments' and describe what it shows in words",
                        ))
            if token.type in ("th_open", "td_open"):
                token.attrs.pop("style", None)  # alignment would need an inline style
        rendered = self.md.renderer.render(tokens, self.md.options, {})
        safe = self.sanitise(rendered).rstrip("\n")
        # A wide table scrolls inside a region keyboard users can reach (added after
        # sanitising: the sanitiser rightly drops role and tabindex from content). The
        # region's name is stored with the page, in the language of the import.
        label = html.escape(gettext("Table"))
        return safe.replace(
            '<table class="govuk-table">',
            f'<div class="app-table-scroll" role="region" aria-label="{label}" tabindex="0"><table class="govuk-table">',
        ).replace("</table>", "</table></div>"), problems

    @classmethod
    def sanitise(cls, rendered: str) -> str:
        return nh3.clean(
            rendered,
            tags=cls.ALLOWED_TAGS,
            attributes={"*": {"class"}, "a": {"href", "title"}, "th": {"scope"}},
            url_schemes={"http", "https", "mailto"},
            link_rel="noopener noreferrer",
        )


RENDERER = MarkdownRenderer()


def strip_comments(text: str) -> tuple[str, list[tuple[int, str]]]:
    """``text`` without its HTML comments (``<!-- ... -->``), lines kept in place, and a
    problem for a comment that is never closed (it would hide the rest of the text).
    One pass with ``str.find``: linear however many comments are opened."""
    problems: list[tuple[int, str]] = []
    if "<!--" not in text:
        return text, problems
    parts, position = [], 0
    while True:
        start = text.find("<!--", position)
        if start < 0:
            parts.append(text[position:])
            break
        parts.append(text[position:start])
        end = text.find("-->", start + 4)
        if end < 0:
            problems.append((text.count("\n", 0, start), "an HTML comment '<!--' is never closed with '-->'"))
            break
        parts.append("\n" * text.count("\n", start, end))
        position = end + 3
    return "".join(parts), problems


def html_to_text(fragment: str) -> str:
    return html.unescape(nh3.clean(fragment.replace("</p>", "</p>\n"), tags=set())).strip()

