"""FOI response source files: YAML front matter + a Markdown body, parsed and validated.

A file looks like this (docs/publishing-responses.md has a complete example)::

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
(every problem of the file at once, each naming the file, the line, the field and what
is wrong). Nothing a hostile or careless file holds may escape as an exception: YAML is
read with limits (no aliases, bounded size and nesting: :mod:`webapp.foi.front_matter`),
dates must be real and not in the future, characters XML 1.0 forbids are refused,
attachments are read only as regular files inside the response's own folder
(:mod:`webapp.foi.safe_files`). Markdown fields are rendered once, here, by
:mod:`webapp.foi.markdown`; outcomes, legislation and exemptions are checked against
:mod:`webapp.foi.vocabulary`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from pathlib import Path

from webapp.foi.documents import Attachment, ResponseDocument
from webapp.foi.front_matter import load_yaml, split_front_matter
from webapp.foi.markdown import RENDERER, strip_comments
from webapp.foi.problems import FORBIDDEN_CHARACTERS, Problem, shown
from webapp.foi.safe_files import UnsafeFile, read_inside, size_text
from webapp.foi.vocabulary import (
    NEEDS_EXEMPTIONS,
    OUTCOMES,
    REGIMES,
    RESERVED_NAMES,
    exemption_name,
    outcome_slug,
    reserved_name,
    slugify,
)

MAX_FILE_BYTES = 1024 * 1024
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
MAX_QUESTIONS = 60

REFERENCE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$")

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
    "attachments", "related", "sample",
}

# A response's answers live in its front matter: it may be as large as the file.
MAX_FRONT_MATTER_BYTES = MAX_FILE_BYTES
# A date may be at most this far ahead of the server's clock (time zones, skew).
DATE_ALLOWANCE = dt.timedelta(days=1)


def load_file(path: Path, display: str | None = None) -> ResponseDocument | list[Problem]:
    source = display or str(path)
    try:
        raw = read_inside(path.parent, path.name, MAX_FILE_BYTES, allow_hard_links=True)
    except UnsafeFile as error:
        return [Problem(source, "file", _file_message(str(error), path.name), line=1)]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        return [Problem(source, "file", "is not UTF-8 text: save it as UTF-8", line=line)]
    return parse(text, source=source, base_dir=path.parent)


def _file_message(message: str, name: str) -> str:
    """'x.md is a named pipe, ...' said of the file itself: 'is a named pipe, ...'."""
    return message[len(name) + 1:] if message.startswith(name + " ") else message


def parse(text: str, source: str = "<text>", base_dir: Path | None = None,
          today: dt.date | None = None) -> ResponseDocument | list[Problem]:
    problems: list[Problem] = []
    # Characters XML 1.0 forbids: each reported on its line, then replaced so the rest
    # of the file can still be checked (all of a file's problems at once).
    for match in FORBIDDEN_CHARACTERS.finditer(text):
        if len(problems) >= 20:
            break
        problems.append(Problem(source, "text", f"contains the character U+{ord(match.group()):04X}, which "
                                "cannot be published (a control character or non-character): delete it",
                                line=text.count("\n", 0, match.start()) + 1))
    if problems:
        text = FORBIDDEN_CHARACTERS.sub("\ufffd", text)
    parts = split_front_matter(text)
    if parts is None:
        return problems + [Problem(source, "front matter", "the file must start with a line '---', then YAML, then a line '---'", line=1)]
    front, body, body_line = parts
    if len(front.encode("utf-8", "replace")) > MAX_FRONT_MATTER_BYTES:
        return problems + [Problem(source, "front matter", f"is larger than {size_text(MAX_FRONT_MATTER_BYTES)}", line=2)]
    loaded = load_yaml(front, source)
    if isinstance(loaded, list):
        return problems + loaded
    meta, lines, structure = loaded
    if not isinstance(meta, dict):
        return problems + [Problem(source, "front matter", "must be a YAML mapping of field: value", line=2)]
    result = validate(meta, body, source=source, base_dir=base_dir, lines=lines, body_line=body_line, today=today)
    if isinstance(result, list) or problems or structure:
        found = problems + structure + (result if isinstance(result, list) else [])
        return sorted(found, key=lambda p: p.line or 0)
    return result


DATE_TEXT = re.compile(
    r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"
    r"(?:[Tt ]+([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]+)?)?[ ]*(?:Z|[+-][0-9]{1,2}(?::?[0-9]{2})?)?)?$"
)
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]


class _Checker:
    def __init__(self, source: str, lines: dict | None = None, today: dt.date | None = None, body_line: int = 0):
        self.source = source
        self.lines = lines
        self.problems: list[Problem] = []
        self.today = today or dt.datetime.now(dt.UTC).date()
        self.body_line = body_line

    def line_of(self, name: str) -> int | None:
        if self.lines is None:
            return None
        while name:
            if name in self.lines:
                return self.lines[name]
            cut = max(name.rfind("."), name.rfind("["))
            if cut <= 0:
                break
            name = name[:cut]
        return 1

    def add(self, name: str, message: str, line: int | None = None, warning: bool = False) -> None:
        self.problems.append(Problem(self.source, name, message, line=line or self.line_of(name), warning=warning))

    def markdown(self, name: str, text: str) -> tuple[str, str]:
        """Render ``text`` (the body, or the field ``name``), reporting what cannot be shown."""
        rendered, plain, found = RENDERER.check(text)
        if name == "body":
            start = self.body_line if self.lines is not None else None
        else:
            start = self.line_of(name + "#text") if self.lines is not None and name + "#text" in self.lines else self.line_of(name)
        for offset, message in found:
            self.add(name, message, line=(start + offset) if start else None)
        return rendered, plain

    def clean(self, name: str, text: str) -> str:
        """Plain text with HTML comments dropped (notes for colleagues are never published)."""
        text, found = strip_comments(text)
        for _, message in found:
            self.add(name, message)
        return text.strip()

    def text(self, meta: dict, name: str, max_length: int, required: bool = True) -> str:
        value = meta.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(name, "is required")
            return ""
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            self.add(name, "must be text")
            return ""
        value = self.clean(name, str(value))
        if not value and required:
            self.add(name, "is required")
        if len(value) > max_length:
            self.add(name, f"must be {max_length} characters or fewer (it has {len(value)})")
        return value

    def date(self, meta: dict, name: str, required: bool = True) -> dt.date | None:
        value = meta.get(name)
        if value is None or value == "":
            if required:
                self.add(name, "is required (a date such as 2024-03-31)")
            return None
        result = self._date(name, value)
        if result is not None and result > self.today + DATE_ALLOWANCE:
            self.add(name, f"{result.isoformat()} is in the future: dates must not be later than today")
            return None
        return result

    def _date(self, name: str, value) -> dt.date | None:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        match = DATE_TEXT.match(value.strip()) if isinstance(value, str) else None
        if not match:
            self.add(name, f"must be a real date written YYYY-MM-DD, got {shown(value)}")
            return None
        year, month, day = (int(part) for part in match.group(1, 2, 3))
        wrong = []
        if not 1 <= month <= 12:
            wrong.append(f"there is no month {month}")
        if year < 1900:
            wrong.append(f"the year {year} is too early")
        elif 1 <= month <= 12:
            days = calendar.monthrange(year, month)[1]
            if not 1 <= day <= days:
                wrong.append(f"{MONTHS[month - 1]} {year} has {days} days")
        if match.group(4) is not None:
            hour, minute, second = int(match.group(4)), int(match.group(5)), int(match.group(6) or 0)
            if hour > 23:
                wrong.append(f"there is no hour {hour}")
            if minute > 59:
                wrong.append(f"there is no minute {minute}")
            if second > 59:
                wrong.append(f"there is no second {second}")
        if wrong:
            self.add(name, f"{shown(value.strip())} is not a real date: {'; '.join(wrong)} (write YYYY-MM-DD)")
            return None
        return dt.date(year, month, day)


def validate(meta: dict, body: str, source: str = "<text>", base_dir: Path | None = None,
             lines: dict | None = None, body_line: int = 0, today: dt.date | None = None) -> ResponseDocument | list[Problem]:
    """Check every field of ``meta`` (and the Markdown ``body``): the document, or every
    problem found. ``lines`` (field -> line, from :func:`parse`) puts a line on each."""
    check = _Checker(source, lines, today, body_line)
    for name in sorted(set(meta) - FIELDS, key=str):
        check.add(str(name), f"is not a known field (known fields: {', '.join(sorted(FIELDS))})")
    _forbidden_characters(check, meta, body)

    reference = check.text(meta, "reference", 64)
    if reference and not REFERENCE.match(reference):
        check.add("reference", "must be letters, digits, dots, hyphens or underscores, starting and ending with a letter or digit")
    if reference.lower().endswith((".json", ".atom", ".csv")):
        check.add("reference", "must not end in .json, .atom or .csv")
    reserved = reserved_name(reference)
    if reserved:
        check.add("reference", f"must not be {shown(reference)}: the address /foi/{reserved} is kept for a page "
                  f"of the site (kept names: {', '.join(sorted(RESERVED_NAMES))})")
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
        check.add("regime", f"must be FOIA or EIR, got {shown(meta.get('regime'))}")

    outcome_value = check.text(meta, "outcome", 80)
    outcome = outcome_slug(outcome_value) if outcome_value else None
    if outcome_value and outcome is None:
        check.add("outcome", f"must be one of: {'; '.join(label.lower() for label in OUTCOMES.values())} (got {shown(outcome_value)})")

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

    decision_html, decision_text = check.markdown("body", body or "")
    if not decision_html:
        check.add("body", "the Markdown after the front matter must state the decision", line=check.body_line or None)
    sample = meta.get("sample", False)
    if not isinstance(sample, bool):
        check.add("sample", "must be true or false (true marks a fictional sample response)")

    if check.problems:
        return check.problems
    return ResponseDocument(
        reference=reference, title=title, summary=summary, published=published, received=received,
        responded=responded, regime=regime, outcome=outcome, topics=topics, questions=questions,
        decision_html=decision_html, answers=answers, exemptions=exemptions, attachments=attachments,
        related=related, updated=updated, change_note=change_note, source=source,
        decision_text=decision_text, is_sample=sample is True, lines=dict(lines or {}),
    )


def _forbidden_characters(check: _Checker, meta: dict, body: str) -> None:
    """A problem for each field whose text holds a character XML 1.0 forbids (written
    with a YAML escape such as "\\u0000", or given by code rather than a file). One
    search over all the text first: the field-by-field walk only runs on a hit."""
    strings: list[str] = [body] if isinstance(body, str) else []
    _collect_strings(meta, strings, 0)
    if not FORBIDDEN_CHARACTERS.search("\n".join(strings)):
        return
    stack = [(name, value) for name, value in meta.items()]
    stack.append(("body", body))
    seen = 0
    while stack and seen < 100_000:
        name, value = stack.pop()
        seen += 1
        if isinstance(value, str):
            found = FORBIDDEN_CHARACTERS.search(value)
            if found:
                check.add(str(name), f"contains the character U+{ord(found.group()):04X}, which cannot be "
                          "published (a control character or non-character): delete it")
        elif isinstance(value, dict):
            stack.extend((f"{name}.{key}", item) for key, item in value.items())
            stack.extend((f"{name} (a key)", key) for key in value if isinstance(key, str))
        elif isinstance(value, list):
            stack.extend((f"{name}[{index}]", item) for index, item in enumerate(value, start=1))


def _collect_strings(value, strings: list[str], depth: int) -> None:
    if depth > 50:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                strings.append(key)
            if isinstance(item, str):
                strings.append(item)
            elif isinstance(item, (dict, list)):
                _collect_strings(item, strings, depth + 1)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, str):
                strings.append(item)
            elif isinstance(item, (dict, list)):
                _collect_strings(item, strings, depth + 1)


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
        text = check.clean(f"{name}[{index}]", str(item))
        if not text:
            check.add(f"{name}[{index}]", "must be non-empty text")
            continue
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
        known = exemption_name(section, regime)
        if known is None:
            check.add(where, f"section {shown(section)} is not a known FOIA exemption (sections 21 to 44) or EIR exception (regulation 12 or 13)")
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
        rendered, plain = check.markdown(f"{where}.text", text)
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
            check.add(f"{where}.type", f"must be one of {', '.join(ATTACHMENT_TYPES)}, got {shown(kind)}")
            ok = False
        if not isinstance(note, str) or len(note) > 600:
            check.add(f"{where}.accessible_format", "must be text of 600 characters or fewer")
            ok = False
        if not isinstance(file_name, str) or not file_name.strip():
            check.add(f"{where}.file", "is required: a path relative to this file")
            continue
        path_text = file_name.strip()
        components = path_text.split("/")
        filename = components[-1]
        if not all(SAFE_FILENAME.match(part) for part in components):
            check.add(f"{where}.file", "must be a relative path inside this response's folder (such as "
                      "attachments/costs.csv), each part named with letters, digits, dots, hyphens or underscores")
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
        try:
            data = read_inside(base_dir, path_text, MAX_ATTACHMENT_BYTES)
        except UnsafeFile as error:
            check.add(f"{where}.file", str(error))
            continue
        declared = item.get("size")
        if declared is not None and declared != len(data):
            check.add(f"{where}.size", f"says {shown(declared)} bytes but the file has {len(data)}: remove size, it is measured on import")
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
