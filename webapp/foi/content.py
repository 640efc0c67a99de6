"""FOI response source files: YAML front matter + a Markdown body, parsed and validated.

A file looks like this (README.md has a complete example)::

    ---
    reference: 01.FOI.23.031828
    title: ...
    outcome: disclosed in full
    questions: [...]
    answers:
      - questions: [2, 3]
        text: |
          Markdown ...
    ---
    Markdown: the decision ("I have today decided to disclose ...").

:func:`load_file` returns a :class:`ResponseDocument` or a list of :class:`Problem`
(one per wrong field, each naming the file, the field and what is wrong). Markdown is
rendered here, once, at import: CommonMark without raw HTML, GOV.UK classes added, then
sanitised with nh3, so what is stored is safe to put on a page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import nh3
import yaml
from markdown_it import MarkdownIt

MAX_FILE_BYTES = 1024 * 1024
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
MAX_QUESTIONS = 60

REFERENCE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$")

OUTCOMES = {
    "disclosed-in-full": "Disclosed in full",
    "disclosed-in-part": "Disclosed in part",
    "not-held": "Not held",
    "refused": "Refused",
    "neither-confirm-nor-deny": "Neither confirm nor deny",
    "refused-cost-limit": "Refused – cost limit (s.12)",
    "refused-vexatious": "Refused – vexatious or repeated (s.14)",
    "already-accessible": "Already accessible (s.21)",
}
# Outcomes that rely on exemptions, so must name them.
NEEDS_EXEMPTIONS = {"disclosed-in-part", "refused", "neither-confirm-nor-deny"}
# GOV.UK tag colours: a colour per outcome, always with the words.
OUTCOME_COLOURS = {
    "disclosed-in-full": "govuk-tag--green",
    "disclosed-in-part": "govuk-tag--turquoise",
    "not-held": "govuk-tag--grey",
    "refused": "govuk-tag--red",
    "neither-confirm-nor-deny": "govuk-tag--purple",
    "refused-cost-limit": "govuk-tag--orange",
    "refused-vexatious": "govuk-tag--pink",
    "already-accessible": "govuk-tag--blue",
}

REGIMES = {"FOIA": "Freedom of Information Act 2000", "EIR": "Environmental Information Regulations 2004"}

# Part II exemptions of the Freedom of Information Act 2000, by section number.
FOIA_EXEMPTIONS = {
    "21": "Information accessible to applicant by other means",
    "22": "Information intended for future publication",
    "22A": "Research",
    "23": "Information supplied by, or relating to, bodies dealing with security matters",
    "24": "National security",
    "26": "Defence",
    "27": "International relations",
    "28": "Relations within the United Kingdom",
    "29": "The economy",
    "30": "Investigations and proceedings conducted by public authorities",
    "31": "Law enforcement",
    "32": "Court records",
    "33": "Audit functions",
    "34": "Parliamentary privilege",
    "35": "Formulation of government policy",
    "36": "Prejudice to effective conduct of public affairs",
    "37": "Communications with His Majesty, etc. and honours",
    "38": "Health and safety",
    "39": "Environmental information",
    "40": "Personal information",
    "41": "Information provided in confidence",
    "42": "Legal professional privilege",
    "43": "Commercial interests",
    "44": "Prohibitions on disclosure",
}
# Exceptions of the Environmental Information Regulations 2004.
EIR_EXCEPTIONS = {
    "12(4)(a)": "Information not held",
    "12(4)(b)": "Manifestly unreasonable request",
    "12(4)(c)": "Request formulated in too general a manner",
    "12(4)(d)": "Material in the course of completion",
    "12(4)(e)": "Internal communications",
    "12(5)(a)": "International relations, defence, national security or public safety",
    "12(5)(b)": "The course of justice",
    "12(5)(c)": "Intellectual property rights",
    "12(5)(d)": "Confidentiality of proceedings",
    "12(5)(e)": "Confidentiality of commercial or industrial information",
    "12(5)(f)": "Interests of the person who provided the information",
    "12(5)(g)": "Protection of the environment",
    "13": "Personal data",
}
FOIA_SECTION = re.compile(r"^(\d{2}A?)(\(\d+\))*(\([a-z]{1,4}\))*$")

ATTACHMENT_TYPES = {
    "PDF": ("application/pdf", {".pdf"}),
    "CSV": ("text/csv", {".csv"}),
    "TXT": ("text/plain", {".txt"}),
    "ODS": ("application/vnd.oasis.opendocument.spreadsheet", {".ods"}),
    "ODT": ("application/vnd.oasis.opendocument.text", {".odt"}),
    "XLSX": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", {".xlsx"}),
    "DOCX": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", {".docx"}),
}
SAFE_FILENAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")

FIELDS = {
    "reference", "title", "summary", "published", "updated", "change_note", "received",
    "responded", "regime", "outcome", "exemptions", "topics", "questions", "answers",
    "attachments", "related",
}
REQUIRED = ["reference", "title", "summary", "published", "received", "responded", "regime",
            "outcome", "topics", "questions"]

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file: printed as ``file: field: message``."""

    source: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.field}: {self.message}"


@dataclass
class Attachment:
    title: str
    filename: str
    kind: str
    media_type: str
    size: int
    note: str
    data: bytes = field(repr=False)

    @cached_property
    def sha256(self) -> str:
        """Read by the fingerprint and again when the file is stored: hashed once."""
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class ResponseDocument:
    reference: str
    title: str
    summary: str
    published: dt.date
    received: dt.date
    responded: dt.date
    regime: str
    outcome: str
    topics: list[str]
    questions: list[str]
    decision_html: str
    answers: list[dict]
    exemptions: list[dict] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    related: list[dict] = field(default_factory=list)
    updated: dt.date | None = None
    change_note: str = ""
    source: str = ""
    decision_text: str = ""

    @property
    def search_body(self) -> str:
        """Plain text indexed for search besides title and summary."""
        parts = [*self.questions, self.decision_text]
        parts.extend(answer["text"] for answer in self.answers)
        parts.extend(f"{item['section']} {item['name']}" for item in self.exemptions)
        # The reference last (snippets start with the request), and as words too:
        # the engines split "NMC-2024-0518" differently.
        parts.append(f"{self.reference} {re.sub(r'[._-]+', ' ', self.reference)}")
        return "\n".join(parts)

    @cached_property
    def document_json(self) -> str:
        return json.dumps(self.document(), ensure_ascii=False, separators=(",", ":"))

    def document(self) -> dict:
        """What the response page shows beyond the indexed columns (stored as JSON)."""
        return {
            "questions": self.questions,
            "decision_html": self.decision_html,
            "answers": [{"questions": a["questions"], "html": a["html"]} for a in self.answers],
            "exemptions": self.exemptions,
            "topics": self.topics,
            "related": self.related,
            "attachments": [
                {"title": a.title, "filename": a.filename, "kind": a.kind, "size": a.size, "note": a.note}
                for a in self.attachments
            ],
        }

    @cached_property
    def fingerprint(self) -> str:
        """Changes whenever anything stored for this response would change."""
        payload = {
            "reference": self.reference, "title": self.title, "summary": self.summary,
            "published": self.published.isoformat(), "received": self.received.isoformat(),
            "responded": self.responded.isoformat(), "regime": self.regime, "outcome": self.outcome,
            "updated": self.updated.isoformat() if self.updated else None, "change_note": self.change_note,
            "files": [a.sha256 for a in self.attachments], "source": self.source,
        }
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8"))
        digest.update(self.document_json.encode("utf-8"))
        return digest.hexdigest()


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def outcome_slug(value: str) -> str | None:
    """The outcome's slug from its slug or its words, dashes and case forgiven."""
    text = value.strip().lower().replace("–", "-").replace("—", "-")
    if text in OUTCOMES:
        return text
    wanted = slugify(text)
    for slug, label in OUTCOMES.items():
        if slugify(label) == wanted or slug == wanted:
            return slug
    return None


# ---------------------------------------------------------------------------
# Markdown


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
        self.md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")

    def render(self, text: str) -> str:
        return self.render_with_text(text)[0]

    def render_with_text(self, text: str) -> tuple[str, str]:
        """The safe HTML and its plain text (for the search index)."""
        text = CONTROL_CHARACTERS.sub("", text).strip()
        if not text:
            return "", ""
        if not self.PLAIN.search(text):
            # One paragraph of plain words: what CommonMark would produce, without the
            # parser (generated samples and many short answers take this path).
            return f'<p class="govuk-body">{html.escape(text, quote=False)}</p>', text
        rendered = self._render_markdown(text)
        return rendered, html_to_text(rendered)

    def _render_markdown(self, text: str) -> str:
        tokens = self.md.parse(text)
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
            if token.type in ("th_open", "td_open"):
                token.attrs.pop("style", None)  # alignment would need an inline style
        rendered = self.md.renderer.render(tokens, self.md.options, {})
        safe = self.sanitise(rendered).rstrip("\n")
        # A wide table scrolls inside a region keyboard users can reach (added after
        # sanitising: the sanitiser rightly drops role and tabindex from content).
        return safe.replace(
            '<table class="govuk-table">',
            '<div class="app-table-scroll" role="region" aria-label="Table" tabindex="0"><table class="govuk-table">',
        ).replace("</table>", "</table></div>")

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


def html_to_text(fragment: str) -> str:
    return html.unescape(nh3.clean(fragment.replace("</p>", "</p>\n"), tags=set())).strip()


# ---------------------------------------------------------------------------
# Files


def split_front_matter(text: str) -> tuple[str, str] | None:
    text = text.lstrip("\ufeff")
    if not text.startswith("---"):
        return None
    match = re.match(r"^---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|$)(.*)$", text, re.DOTALL)
    if not match:
        return None
    return match.group(1), match.group(2)


def load_file(path: Path, display: str | None = None) -> ResponseDocument | list[Problem]:
    source = display or str(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        return [Problem(source, "file", f"cannot be read ({error.strerror})")]
    if len(raw) > MAX_FILE_BYTES:
        return [Problem(source, "file", f"is larger than {MAX_FILE_BYTES // 1024} KB")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return [Problem(source, "file", "is not UTF-8 text")]
    return parse(text, source=source, base_dir=path.parent)


def parse(text: str, source: str = "<text>", base_dir: Path | None = None) -> ResponseDocument | list[Problem]:
    parts = split_front_matter(text)
    if parts is None:
        return [Problem(source, "front matter", "the file must start with a line '---', then YAML, then a line '---'")]
    front, body = parts
    try:
        meta = yaml.load(front, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark else ""
        return [Problem(source, "front matter", f"is not valid YAML{where}: {getattr(error, 'problem', error)}")]
    if not isinstance(meta, dict):
        return [Problem(source, "front matter", "must be a YAML mapping of field: value")]
    return validate(meta, body, source=source, base_dir=base_dir)


class _Checker:
    def __init__(self, source: str):
        self.source = source
        self.problems: list[Problem] = []

    def add(self, name: str, message: str) -> None:
        self.problems.append(Problem(self.source, name, message))

    def text(self, meta: dict, name: str, max_length: int, required: bool = True) -> str:
        value = meta.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(name, "is required")
            return ""
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            self.add(name, "must be text")
            return ""
        value = CONTROL_CHARACTERS.sub("", str(value)).strip()
        if len(value) > max_length:
            self.add(name, f"must be {max_length} characters or fewer (it has {len(value)})")
        return value

    def date(self, meta: dict, name: str, required: bool = True) -> dt.date | None:
        value = meta.get(name)
        if value is None or value == "":
            if required:
                self.add(name, "is required (a date such as 2024-03-31)")
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.add(name, f"must be a real date written YYYY-MM-DD, got {value!r}")
        return None


def validate(meta: dict, body: str, source: str = "<text>", base_dir: Path | None = None) -> ResponseDocument | list[Problem]:
    check = _Checker(source)
    for name in sorted(set(meta) - FIELDS, key=str):
        check.add(str(name), f"is not a known field (known fields: {', '.join(sorted(FIELDS))})")

    reference = check.text(meta, "reference", 64)
    if reference and not REFERENCE.match(reference):
        check.add("reference", "must be letters, digits, dots, hyphens or underscores, starting and ending with a letter or digit")
    if reference.lower().endswith((".json", ".atom", ".csv")):
        check.add("reference", "must not end in .json, .atom or .csv")
    title = check.text(meta, "title", 200)
    summary = check.text(meta, "summary", 600)

    published = check.date(meta, "published")
    received = check.date(meta, "received")
    responded = check.date(meta, "responded")
    updated = check.date(meta, "updated", required=False)
    change_note = check.text(meta, "change_note", 600, required=False)
    if received and responded and responded < received:
        check.add("responded", "must be on or after the date received")
    if received and published and published < received:
        check.add("published", "must be on or after the date received")
    if updated and published and updated < published:
        check.add("updated", "must be on or after the date published")
    if updated and not change_note:
        check.add("change_note", "is required when 'updated' is given: say what changed")
    if change_note and not updated:
        check.add("updated", "is required when 'change_note' is given")

    regime = check.text(meta, "regime", 8).upper()
    if regime and regime not in REGIMES:
        check.add("regime", f"must be FOIA or EIR, got {meta.get('regime')!r}")

    outcome_value = check.text(meta, "outcome", 80)
    outcome = outcome_slug(outcome_value) if outcome_value else None
    if outcome_value and outcome is None:
        check.add("outcome", f"must be one of: {'; '.join(label.lower() for label in OUTCOMES.values())} (got {outcome_value!r})")

    exemptions = _exemptions(check, meta.get("exemptions"), regime)
    if outcome in NEEDS_EXEMPTIONS and not exemptions and "exemptions" not in {p.field for p in check.problems}:
        check.add("exemptions", f"are required when the outcome is {OUTCOMES[outcome].lower()}: list the sections relied on")

    topics = _string_list(check, meta, "topics", max_items=10, max_length=60, required=True)
    slugs = [slugify(topic) for topic in topics]
    if any(not slug for slug in slugs):
        check.add("topics", "each topic needs at least one letter or digit")
    elif len(set(slugs)) != len(slugs):
        check.add("topics", "must not repeat a topic")
    questions = _string_list(check, meta, "questions", max_items=MAX_QUESTIONS, max_length=4000, required=True)
    answers = _answers(check, meta.get("answers"), len(questions))
    attachments = _attachments(check, meta.get("attachments"), base_dir)
    related = _related(check, meta.get("related"))

    decision_html, decision_text = RENDERER.render_with_text(body or "")
    if not decision_html:
        check.add("body", "the Markdown after the front matter must state the decision")

    if check.problems:
        return check.problems
    return ResponseDocument(
        reference=reference, title=title, summary=summary, published=published, received=received,
        responded=responded, regime=regime, outcome=outcome, topics=topics, questions=questions,
        decision_html=decision_html, answers=answers, exemptions=exemptions, attachments=attachments,
        related=related, updated=updated, change_note=change_note, source=source,
        decision_text=decision_text,
    )


def _string_list(check: _Checker, meta: dict, name: str, max_items: int, max_length: int, required: bool) -> list[str]:
    value = meta.get(name)
    if value is None or value == []:
        if required:
            check.add(name, "is required: give a list with at least one item")
        return []
    if not isinstance(value, list):
        check.add(name, "must be a list (one '- item' per line)")
        return []
    if len(value) > max_items:
        check.add(name, f"must have {max_items} items or fewer (it has {len(value)})")
    items = []
    for index, item in enumerate(value, start=1):
        if not isinstance(item, (str, int, float)) or isinstance(item, bool) or not str(item).strip():
            check.add(f"{name}[{index}]", "must be non-empty text")
            continue
        text = CONTROL_CHARACTERS.sub("", str(item)).strip()
        if len(text) > max_length:
            check.add(f"{name}[{index}]", f"must be {max_length} characters or fewer")
        items.append(text)
    if len({item.lower() for item in items}) != len(items):
        check.add(name, "must not repeat an item")
    return items


def _exemptions(check: _Checker, value, regime: str) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list):
        check.add("exemptions", "must be a list of sections, such as '- 40(2)' or '- section: 40(2)'")
        return []
    result, seen = [], set()
    for index, item in enumerate(value, start=1):
        where = f"exemptions[{index}]"
        name = None
        if isinstance(item, dict):
            unknown = set(item) - {"section", "name"}
            if unknown:
                check.add(where, f"has unknown keys: {', '.join(sorted(map(str, unknown)))} (use section and name)")
            section, name = item.get("section"), item.get("name")
        else:
            section = item
        if not isinstance(section, (str, int)) or isinstance(section, bool) or not str(section).strip():
            check.add(where, "needs a section, such as 40(2)")
            continue
        section = re.sub(r"^(s\.?|section|regulation|reg\.?)\s*", "", str(section).strip(), flags=re.IGNORECASE)
        known = _exemption_name(section, regime)
        if known is None:
            check.add(where, f"section {section!r} is not a known FOIA exemption (sections 21 to 44) or EIR exception (regulation 12 or 13)")
            continue
        if name is not None and (not isinstance(name, str) or not name.strip() or len(name) > 200):
            check.add(where, "name must be text of 200 characters or fewer")
            continue
        if section in seen:
            check.add(where, f"section {section} is listed twice")
            continue
        seen.add(section)
        result.append({"section": section, "name": (name or known).strip()})
    return result


def _exemption_name(section: str, regime: str) -> str | None:
    if regime == "EIR" or section.startswith(("12(", "13")):
        for key, name in EIR_EXCEPTIONS.items():
            if section == key or section.startswith(key + "("):
                return name
        if regime == "EIR":
            return None
    match = FOIA_SECTION.match(section)
    if match:
        return FOIA_EXEMPTIONS.get(match.group(1))
    return None


def _answers(check: _Checker, value, question_count: int) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list):
        check.add("answers", "must be a list; each answer has 'questions' (numbers) and 'text' (Markdown)")
        return []
    answers, answered = [], set()
    for index, item in enumerate(value, start=1):
        where = f"answers[{index}]"
        if not isinstance(item, dict):
            check.add(where, "must have 'questions' (a list of question numbers) and 'text'")
            continue
        unknown = set(item) - {"questions", "text"}
        if unknown:
            check.add(where, f"has unknown keys: {', '.join(sorted(map(str, unknown)))} (use questions and text)")
        numbers = item.get("questions")
        if isinstance(numbers, int) and not isinstance(numbers, bool):
            numbers = [numbers]
        if not isinstance(numbers, list) or not numbers or not all(isinstance(n, int) and not isinstance(n, bool) for n in numbers):
            check.add(f"{where}.questions", "must list the numbers of the questions it answers, such as [2, 3]")
            numbers = []
        for number in numbers:
            if not 1 <= number <= question_count:
                check.add(f"{where}.questions", f"question {number} does not exist (there are {question_count})")
            elif number in answered:
                check.add(f"{where}.questions", f"question {number} is already answered by an earlier answer")
            answered.add(number)
        text = item.get("text")
        if not isinstance(text, str) or not text.strip():
            check.add(f"{where}.text", "is required: the answer in Markdown")
            continue
        if len(text) > 200_000:
            check.add(f"{where}.text", "is too long (200,000 characters at most)")
            continue
        rendered, plain = RENDERER.render_with_text(text)
        answers.append({"questions": sorted(set(numbers)), "html": rendered, "text": plain})
    return answers


def _attachments(check: _Checker, value, base_dir: Path | None) -> list[Attachment]:
    if value is None:
        return []
    if not isinstance(value, list):
        check.add("attachments", "must be a list; each has title, file and type")
        return []
    result, names = [], set()
    for index, item in enumerate(value, start=1):
        where = f"attachments[{index}]"
        if not isinstance(item, dict):
            check.add(where, "must have title, file and type")
            continue
        unknown = set(item) - {"title", "file", "type", "size", "accessible_format"}
        if unknown:
            check.add(where, f"has unknown keys: {', '.join(sorted(map(str, unknown)))}")
        title, file_name, kind = item.get("title"), item.get("file"), item.get("type")
        note = item.get("accessible_format") or ""
        ok = True
        if not isinstance(title, str) or not title.strip() or len(title) > 200:
            check.add(f"{where}.title", "is required (200 characters or fewer)")
            ok = False
        if not isinstance(kind, str) or kind.strip().upper() not in ATTACHMENT_TYPES:
            check.add(f"{where}.type", f"must be one of {', '.join(ATTACHMENT_TYPES)}, got {kind!r}")
            ok = False
        if not isinstance(note, str) or len(note) > 600:
            check.add(f"{where}.accessible_format", "must be text of 600 characters or fewer")
            ok = False
        if not isinstance(file_name, str) or not file_name.strip():
            check.add(f"{where}.file", "is required: a path relative to this file")
            continue
        path_text = file_name.strip()
        filename = Path(path_text).name
        if Path(path_text).is_absolute() or ".." in Path(path_text).parts or not SAFE_FILENAME.match(filename):
            check.add(f"{where}.file", "must be a relative path inside the content folder, named with letters, digits, dots, hyphens or underscores")
            continue
        if filename.lower() in names:
            check.add(f"{where}.file", f"{filename} is attached twice")
            continue
        if ok and Path(filename).suffix.lower() not in ATTACHMENT_TYPES[kind.strip().upper()][1]:
            check.add(f"{where}.file", f"the name ends {Path(filename).suffix or '(nothing)'}, which is not a {kind.upper()} file")
            continue
        if base_dir is None:
            check.add(f"{where}.file", "cannot be read: no folder to read it from")
            continue
        path = base_dir / path_text
        try:
            size = path.stat().st_size
            if size > MAX_ATTACHMENT_BYTES:
                check.add(f"{where}.file", f"is larger than {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB")
                continue
            data = path.read_bytes()
        except OSError:
            check.add(f"{where}.file", f"{path_text} does not exist")
            continue
        declared = item.get("size")
        if declared is not None and declared != len(data):
            check.add(f"{where}.size", f"says {declared} bytes but the file has {len(data)}: remove size, it is measured on import")
            continue
        if not ok:
            continue
        names.add(filename.lower())
        kind = kind.strip().upper()
        result.append(Attachment(
            title=title.strip(), filename=filename, kind=kind, media_type=ATTACHMENT_TYPES[kind][0],
            size=len(data), note=note.strip(), data=data,
        ))
    return result


def _related(check: _Checker, value) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list):
        check.add("related", "must be a list; each item has 'reference', or 'title' and 'url'")
        return []
    result = []
    for index, item in enumerate(value, start=1):
        where = f"related[{index}]"
        if not isinstance(item, dict):
            check.add(where, "must have 'reference', or 'title' and 'url'")
            continue
        unknown = set(item) - {"reference", "title", "url"}
        if unknown:
            check.add(where, f"has unknown keys: {', '.join(sorted(map(str, unknown)))}")
        reference, title, url = item.get("reference"), item.get("title"), item.get("url")
        if reference is not None:
            if not isinstance(reference, str) or not REFERENCE.match(reference.strip()):
                check.add(f"{where}.reference", "must be a response reference")
                continue
            result.append({"reference": reference.strip(), "title": title.strip() if isinstance(title, str) else ""})
            continue
        if not isinstance(title, str) or not title.strip() or len(title) > 200:
            check.add(f"{where}.title", "is required with a url (200 characters or fewer)")
            continue
        if not isinstance(url, str) or not re.match(r"^(https?://[^\s/]+[^\s]*|/[^/\\\s][^\s]*)$", url.strip()) or len(url) > 2000:
            check.add(f"{where}.url", "must be an https:// or http:// address, or a path on this site starting with /")
            continue
        result.append({"title": title.strip(), "url": url.strip()})
    return result
