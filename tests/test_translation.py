"""Translation seams: every user-facing string is marked, the catalogue template is
current, and scripts take their words from the page.

The template check parses each template with Jinja (the app's environment) and reports,
with template name and line:

- text between tags that holds letters (HTML tags, comments, entities and whitespace
  removed) outside ``_()`` / ``{% trans %}``;
- user-facing HTML attributes (``alt``, ``title``, ``aria-label``, ``placeholder``, a
  description ``<meta>``'s ``content``, a submit input's ``value``, a script's
  ``data-i18n-*`` / ``data-*-text``) whose literal part holds letters;
- string constants under the keys the GOV.UK macros show (``text``, ``html``,
  ``headingText``, ``legend``...), and sentence-like constants anywhere else in an
  expression (``{% set page_title = "Home" %}``), unless inside a gettext call;
- a literal internal link (``href="/..."``, ``action="/..."``, ``"href": "/..."``): those
  come from ``url_for``.

Strings that are not words (CSS classes, ids, URLs, endpoint names, "–") never count.

A made-up second language built from the committed ``messages.pot`` then shows that what
is marked is also what the pages ask for: rendered in it, the pages have no English left.
"""

from __future__ import annotations

import re
import subprocess
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from bs4 import BeautifulSoup
from flask import render_template_string
from flask_babel import force_locale, lazy_gettext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2 import Environment, nodes

from tests.conftest import make_app, soup

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
POT = ROOT / "webapp" / "translations" / "messages.pot"
SCRIPTS = ROOT / "static" / "src" / "js"

# An entry (template, text) matches a finding in that template whose text starts so.

GETTEXT_CALLS = {"_", "gettext", "ngettext", "pgettext", "npgettext", "lazy_gettext"}

# Keys of the govuk-frontend-jinja macros (and the layout's own dicts) whose string
# values a visitor sees or hears.
USER_FACING_KEYS = {
    "text", "html", "titleText", "titleHtml", "headingText", "headingHtml", "label", "hint",
    "legend", "caption", "errorMessage", "content", "summaryText", "summaryHtml",
    "descriptionText", "descriptionHtml", "ariaLabel", "navigationLabel", "landmarkLabel",
    "menuButtonText", "menuButtonLabel", "visuallyHiddenText", "serviceName", "logoHtml",
    "placeholder", "title", "message",
}
USER_FACING_ATTRIBUTES = {"alt", "title", "aria-label", "aria-description", "aria-roledescription", "placeholder"}
LINK_KEYS = {"href", "action", "url", "serviceUrl"}
LINK_ATTRIBUTES = {"href", "action", "formaction", "src"}

PLACEHOLDER = "\ue000"  # stands for an expression's output; not a letter
TAG = re.compile(r"<!--.*?-->|<[^>]*>", re.DOTALL)
ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|\w+);")
URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|/|#|\?)\S*$|^[^@\s]+@[^@\s]+$")  # or an email address
NATURAL_WORD = re.compile(r"^[(\"'‘“]*[A-Za-z][a-z’']*[.,:;!?)\"'’”]*$")
INTERNAL_LINK = re.compile(r"^/(?!/)")


def visible_text(value: str) -> str:
    """What a person would read in ``value``: tags, comments, entities and expression
    placeholders removed, whitespace collapsed."""
    text = ENTITY.sub(" ", TAG.sub(" ", value)).replace(PLACEHOLDER, " ")
    return " ".join(text.split())


def has_letters(value: str) -> bool:
    """Letters outside addresses (URLs, paths, email addresses)."""
    return any(ch.isalpha() for token in visible_text(value).split() if not URL.match(token) for ch in token)


def is_sentence_like(value: str) -> bool:
    """A constant in an ordinary expression counts when it reads as words: two natural
    words, or one capitalised (``"Home"``). ``"en"``, ``"pages.home"``,
    ``"govuk-link app-x"`` and ``"/feedback?"`` do not."""
    words = [token for token in visible_text(value).split() if NATURAL_WORD.match(token)]
    return len(words) >= 2 or (len(words) == 1 and words[0].lstrip("(\"'‘“")[:1].isupper())


@dataclass(frozen=True, order=True)
class Finding:
    template: str
    line: int
    kind: str
    text: str

    def __str__(self) -> str:
        return f"templates/{self.template}:{self.line}: {self.kind} {self.text!r}"


class MarkupScanner(HTMLParser):
    """Finds unmarked text and attributes in a template's HTML, expressions replaced by
    a placeholder and lines kept where they were in the template."""

    def __init__(self, template: str, findings: list[Finding]):
        super().__init__(convert_charrefs=True)
        self.template = template
        self.findings = findings

    def report(self, line: int, kind: str, text: str) -> None:
        self.findings.append(Finding(self.template, line, kind, text))

    def handle_data(self, data: str) -> None:
        if self.cdata_elem is not None or not has_letters(data):  # inside <script>/<style>
            return
        line = self.getpos()[0] + data[: len(data) - len(data.lstrip())].count("\n")
        self.report(line, "unmarked text", visible_text(data))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line, _ = self.getpos()
        source = self.get_starttag_text() or ""
        values = dict(attrs)
        for name, value in attrs:
            value = value or ""
            attribute_line = line + source[: max(source.find(f"{name}="), 0)].count("\n")
            if self.user_facing(tag, name, values) and has_letters(value):
                self.report(attribute_line, f"unmarked {name}=", visible_text(value))
            if name in LINK_ATTRIBUTES and INTERNAL_LINK.match(value):
                self.report(attribute_line, f"literal internal link {name}=", value)

    handle_startendtag = handle_starttag

    @staticmethod
    def user_facing(tag: str, name: str, attrs: dict) -> bool:
        if name in USER_FACING_ATTRIBUTES:
            return True
        if name.startswith("data-") and (name.startswith("data-i18n") or name.endswith("-text")):
            return True
        if tag == "meta" and name == "content":
            return (attrs.get("name") or "").lower() == "description"
        if tag == "input" and name == "value":
            return (attrs.get("type") or "").lower() in {"submit", "button", "reset"}
        return False


class TemplateChecker:
    """Walks a template's Jinja syntax tree in source order: its text goes to the
    :class:`MarkupScanner`, its string constants are judged by where they stand."""

    def __init__(self, template: str):
        self.template = template
        self.findings: list[Finding] = []
        self.pieces: list[tuple[int, str]] = []

    def check(self, tree: nodes.Template) -> list[Finding]:
        self.visit(tree, "expression")
        scanner = MarkupScanner(self.template, self.findings)
        scanner.feed(self.skeleton())
        scanner.close()
        return sorted(set(self.findings))

    def skeleton(self) -> str:
        """The template's HTML with each expression as one placeholder character, padded
        with newlines so every piece of text stays on its template line."""
        out, line = [], 1
        for lineno, text in self.pieces:
            if lineno > line:
                out.append("\n" * (lineno - line))
                line = lineno
            out.append(text)
            line += text.count("\n")
        return "".join(out)

    def constant(self, node: nodes.Const, role: str) -> None:
        if not isinstance(node.value, str):
            return
        if role == "link" and INTERNAL_LINK.match(node.value):
            self.findings.append(Finding(self.template, node.lineno, "literal internal link", node.value))
        elif role == "user-facing" and has_letters(node.value) or role == "expression" and is_sentence_like(node.value):
            self.findings.append(Finding(self.template, node.lineno, "unmarked string", visible_text(node.value)))

    def visit(self, node: nodes.Node, role: str) -> None:
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                if isinstance(child, nodes.TemplateData):
                    self.pieces.append((child.lineno, child.data))
                else:
                    self.pieces.append((child.lineno, PLACEHOLDER))
                    self.visit(child, "expression")
        elif isinstance(node, nodes.Const):
            self.constant(node, role)
        elif isinstance(node, nodes.Call):
            if isinstance(node.node, nodes.Name) and node.node.name in GETTEXT_CALLS:
                for keyword in node.kwargs:  # the variables of a marked string
                    self.visit(keyword.value, "expression")
                return
            self.visit(node.node, "ignore")
            for child in [*node.args, *(keyword.value for keyword in node.kwargs)]:
                self.visit(child, "expression")
        elif isinstance(node, nodes.Dict):
            for pair in node.items:
                key = pair.key.value if isinstance(pair.key, nodes.Const) else None
                if key in USER_FACING_KEYS:
                    self.visit(pair.value, "user-facing")
                elif key in LINK_KEYS:
                    self.visit(pair.value, "link")
                elif not isinstance(pair.value, nodes.Const):  # classes, ids, names, values
                    self.visit(pair.value, "expression")
        elif isinstance(node, (nodes.Compare, nodes.Test, nodes.Getitem)):
            return  # compared or looked-up values, never shown
        elif isinstance(node, (nodes.Include, nodes.Extends, nodes.Import, nodes.FromImport)):
            return  # template names
        elif isinstance(node, nodes.If):
            for child in [*node.body, *node.elif_, *node.else_]:
                self.visit(child, role)
        elif isinstance(node, nodes.Filter) and node.name == "urlencode":
            return  # query keys and values, not words
        elif isinstance(node, nodes.Filter):
            # The filtered value is shown as it stands; the filter's own arguments (an
            # attribute name, a separator) only count when they read like a sentence.
            if node.node is not None:
                self.visit(node.node, role)
            for child in [*node.args, *(keyword.value for keyword in node.kwargs)]:
                self.visit(child, "expression")
        else:
            for child in node.iter_child_nodes():
                self.visit(child, role)


def unmarked_strings(env: Environment, source: str, template: str) -> list[Finding]:
    return TemplateChecker(template).check(env.parse(source, template))


@pytest.fixture(scope="module")
def jinja_env(tmp_path_factory) -> Environment:
    """The app's Jinja environment: the same extensions the pages render with."""
    return make_app(tmp_path_factory.mktemp("translation")).jinja_env


def test_every_template_marks_its_user_facing_strings(jinja_env):
    findings = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        findings += unmarked_strings(jinja_env, path.read_text("utf-8"), name)
    unmarked = [str(finding) for finding in findings]
    assert unmarked == [], (
        "Mark these with {{ _(\"...\") }} or {% trans %}...{% endtrans %}, and build internal "
        "links with url_for() (docs/translation.md):\n" + "\n".join(unmarked)
    )


def test_the_template_check_reports_unmarked_strings_with_template_and_line(jinja_env):
    source = "\n".join([
        '{% from "govuk_frontend_jinja/components/button/macro.html" import govukButton %}',
        '{% set page_title = "A title" %}',
        '<p class="govuk-body">{{ _("Marked text") }}</p>',
        '<p class="govuk-body">',
        '  Unmarked &amp; visible words',
        '</p>',
        '<img src="{{ asset_url(\'x.svg\') }}" alt="A picture">',
        '{{ govukButton({"text": "Send", "classes": "govuk-button--secondary", "name": "send"}) }}',
        '<p>{% trans url=url_for("pages.home") %}Fine <a href="{{ url }}">home</a>{% endtrans %}</p>',
        '<p>{{ page_title }} – {{ 3 }}<!-- a comment, not text --></p>',
        '<a class="govuk-link" href="/cookies">{{ _("Cookies") }}</a>',
        '<nav aria-label="{{ _(\'Site\') }}" class="app-nav" data-module="app-nav"></nav>',
        '<meta name="description" content="Read the answers">',
        '{% if state == "question" %}<span lang="en">&nbsp;</span>{% endif %}',
    ])
    findings = [str(finding) for finding in unmarked_strings(jinja_env, source, "example/page.html")]
    assert findings == [
        "templates/example/page.html:2: unmarked string 'A title'",
        "templates/example/page.html:5: unmarked text 'Unmarked & visible words'",
        "templates/example/page.html:7: unmarked alt= 'A picture'",
        "templates/example/page.html:8: unmarked string 'Send'",
        "templates/example/page.html:11: literal internal link href= '/cookies'",
        "templates/example/page.html:13: unmarked content= 'Read the answers'",
    ]


def test_strings_that_are_not_words_never_count(jinja_env):
    source = "\n".join([
        '{% set htmlLang = "en" %}',
        '{{ x ~ " – " ~ y }}',
        '<a class="govuk-link app-link" id="main-link" href="{{ url_for(\'foi.log\') }}">{{ _("FOI") }}</a>',
        '{{ govukX({"href": "https://example.org/a", "classes": "govuk-!-margin-0", "text": "–"}) }}',
        '<a href="mailto:{{ email }}">{{ email }}</a> (<span>{{ n }}</span>) foi@example.org',
    ])
    assert unmarked_strings(jinja_env, source, "example/words.html") == []


def extract(output: Path) -> None:
    """Exactly what `make translations` runs, into ``output`` (the install stamp is
    taken as made: the test runs from an installed environment)."""
    subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed", "translations", f"POT={output}"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    )


def messages(path: Path) -> dict[str, tuple]:
    """msgid → (flags, files, comments): everything but line numbers and the header's date."""
    with path.open("rb") as handle:
        catalog = read_po(handle)
    return {
        message.id if isinstance(message.id, str) else message.id[0]: (
            sorted(message.flags),
            sorted({location for location, _line in message.locations}),
            list(message.auto_comments),
        )
        for message in catalog
        if message.id
    }


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> dict[str, tuple]:
    output = tmp_path_factory.mktemp("pot") / "messages.pot"
    extract(output)
    return messages(output)


@pytest.mark.parametrize(
    "text, source",
    [
        ("Page not found", "webapp/errors.py"),  # Python, lazy_gettext
        ("Strictly necessary cookies", "webapp/consent/policy.py"),
        ("Search and browse FOI responses", "templates/pages/home.html"),  # {{ _() }}
        ("Published by %(organisation)s.", "templates/partials/footer.html"),  # {% trans %}
        ("zoom in up to 400%% without the text spilling off the screen",
         "templates/pages/accessibility_statement.html"),  # a literal % as the app looks it up
        ("Shift, press 2 more times to leave this site.", "templates/layouts/base.html"),  # a script's words
        ("Sorry, there was a technical problem. Please try again.", "templates/partials/cookie_banner.html"),
    ],
)
def test_extraction_finds_strings_from_python_templates_and_scripts(extracted, text, source):
    assert text in extracted, f"{text!r} was not extracted"
    assert source in extracted[text][1]


def test_the_committed_catalogue_template_is_current(extracted):
    committed = messages(POT)
    missing = sorted(set(extracted) - set(committed))
    stale = sorted(set(committed) - set(extracted))
    changed = sorted(text for text in set(extracted) & set(committed) if extracted[text] != committed[text])
    assert (missing, stale, changed) == ([], [], []), (
        f"{POT.relative_to(ROOT)} is out of date: run `make translations` and commit it "
        f"(new: {missing[:5]}, gone: {stale[:5]}, moved or re-flagged: {changed[:5]})"
    )


def test_no_catalogue_but_english():
    """English is the only language: a catalogue appears with a second language's
    translations (docs/translation.md), not before."""
    assert sorted(path.name for path in POT.parent.iterdir()) == ["messages.pot"]


# Script strings: read from data- attributes (``data.i18nTimedOut``,
# ``dataset.errorText``); an English literal may stay only as the fallback after ``||``.
SCRIPT_WORDS = re.compile(r"\b(?:data|dataset)\.(i18n[A-Z]\w*|\w+Text)\b")
SCRIPT_LITERAL = re.compile(r"(\|\|\s*)?'([^'\\\n]*)'")
SENTENCE = re.compile(r"^[A-Z][a-z]+(?:,? [\w’',.]+)+[.?!]?$")


def script_sources() -> dict[str, str]:
    """Each script with its comments removed."""
    block, line = re.compile(r"/\*.*?\*/", re.DOTALL), re.compile(r"(?:^|\s)//.*$", re.MULTILINE)
    return {
        path.name: line.sub("", block.sub("", path.read_text("utf-8")))
        for path in sorted(SCRIPTS.iterdir())
        if path.suffix in {".js", ".mjs"}
    }


def attribute_for(key: str) -> str:
    """``i18nTimedOut`` → ``data-i18n-timed-out``, as the browser maps dataset keys."""
    return "data-" + re.sub(r"[A-Z]", lambda match: "-" + match.group().lower(), key)


def test_scripts_show_no_words_of_their_own():
    literals = [
        f"static/src/js/{name}: {text!r}"
        for name, source in script_sources().items()
        for fallback, text in SCRIPT_LITERAL.findall(source)
        if SENTENCE.match(text) and not fallback
    ]
    assert literals == [], "Take these from a data-i18n-* attribute rendered with _():\n" + "\n".join(literals)


def test_every_word_a_script_reads_is_rendered_by_the_page(client):
    page = soup(client.get("/"))  # no choice yet: the cookie banner is shown too
    wanted = {
        (name, attribute_for(key))
        for name, source in script_sources().items()
        for key in SCRIPT_WORDS.findall(source)
    }
    assert {attribute for _name, attribute in wanted} >= {"data-i18n-timed-out", "data-error-text"}
    missing = sorted(
        f"{name}: {attribute}" for name, attribute in wanted
        if not (element := page.select_one(f"[{attribute}]")) or not element[attribute].strip()
    )
    assert missing == []


# A second language, made up for the test from the committed catalogue template: every
# translation is its English in [[ ]]. Whatever a page shows outside [[ ]] would stay
# English in a real translation: unmarked, or marked as a msgid the page never asks for.
PSEUDO_LOCALE = "cy"
TRANSLATED = re.compile(r"\[\[[^\[\]]*\]\]")


@pytest.fixture(scope="module")
def pseudo_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pseudo")
    with POT.open("rb") as handle:
        catalog = read_po(handle, locale=PSEUDO_LOCALE)
    for message in catalog:
        if message.id and message.pluralizable:
            message.string = tuple(f"[[{message.id[-1]}]]" for _ in range(catalog.num_plurals))
        elif message.id:
            message.string = f"[[{message.id}]]"
    mo = folder / PSEUDO_LOCALE / "LC_MESSAGES" / "messages.mo"
    mo.parent.mkdir(parents=True)
    with mo.open("wb") as handle:
        write_mo(handle, catalog)
    return make_app(folder, BABEL_TRANSLATION_DIRECTORIES=str(folder))


def in_pseudo_locale(app, path: str) -> BeautifulSoup:
    with app.test_request_context(path), force_locale(PSEUDO_LOCALE):
        response = app.full_dispatch_request()
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def untranslated(text: str) -> str:
    """What is left of ``text`` once every [[translation]] (innermost first) is removed."""
    while (shorter := TRANSLATED.sub(" ", text)) != text:
        text = shorter
    return " ".join(text.split())


# The parts of every page this branch's templates draw (the header's navigation links and
# the footer's links come from create_app), and the attributes in them a visitor hears.
LAYOUT_PARTS = [
    ".app-quick-exit-first", ".app-quick-exit", ".govuk-phase-banner", ".govuk-cookie-banner",
    ".govuk-footer__meta-custom", ".govuk-footer h2",
]
SPOKEN_ATTRIBUTES = re.compile(r"^(?:aria-label|alt|title|data-i18n-.+|data-.+-text)$")


@pytest.mark.parametrize("path", ["/", "/privacy", "/accessibility-statement", "/staying-safe-online", "/no-such-page"])
def test_a_translation_reaches_every_word_of_the_page(pseudo_app, path):
    page = in_pseudo_locale(pseudo_app, path)
    parts = [page.select_one("main"), *(page.select_one(selector) for selector in LAYOUT_PARTS)]
    assert all(parts), [selector for selector, part in zip(["main", *LAYOUT_PARTS], parts, strict=True) if not part]
    service_name = pseudo_app.config["SERVICE_NAME"]  # the home page's heading, a setting
    english = {
        ".".join([part.name, *part.get("class", [])]): left
        for part in parts
        if (left := untranslated(part.get_text(" ")).replace(service_name, "").strip(" –"))
    }
    assert english == {}, "this text would stay English: mark it, then run `make translations`"
    elements = [page.head.select_one("script[data-exit-url]"), *parts]
    spoken = [
        (element.name, name, value)
        for element in [*elements, *(child for part in elements for child in part.find_all(True))]
        for name, value in element.attrs.items()
        if SPOKEN_ATTRIBUTES.match(name) and untranslated(value)
    ]
    assert spoken == [], "these attributes would stay English: render them with _()"


def test_python_strings_and_dates_follow_the_locale(pseudo_app):
    from webapp.consent import policy
    from webapp.errors import ERROR_PAGES
    from webapp.i18n import govuk_date

    with pseudo_app.test_request_context("/"), force_locale(PSEUDO_LOCALE):
        assert str(policy.CATEGORIES[0].name) == "[[Strictly necessary cookies]]"
        assert str(policy.REGISTRY[0].expiry) == "[[1 year]]"
        assert str(ERROR_PAGES[404]["title"]) == "[[Page not found]]"
        assert govuk_date(date(2026, 11, 29)) == "29 Tachwedd 2026"
    with pseudo_app.test_request_context("/"):
        assert govuk_date(date(2026, 11, 29)) == "29 November 2026"


def test_templates_follow_a_locale_changed_within_a_request(pseudo_app):
    """The templates' catalogue is looked up once a request, and again when the locale is
    forced (an email in the recipient's language) and when it is restored."""
    template = '{{ _("Home") }} {% trans %}Cookies{% endtrans %}'
    with pseudo_app.test_request_context("/"):
        assert render_template_string(template) == "Home Cookies"
        with force_locale(PSEUDO_LOCALE):
            assert render_template_string(template) == "[[Home]] [[Cookies]]"
        assert render_template_string(template) == "Home Cookies"


def test_python_messages_follow_a_locale_changed_within_a_request(pseudo_app):
    """webapp.i18n's gettext, ngettext and lazy_gettext read the catalogue kept for the
    request, and give what Flask-Babel's own give, in either language."""
    import flask_babel

    from webapp import i18n

    def messages(module) -> list[str]:
        return [module.gettext("Home"), module.gettext("Page %(page)d of %(pages)d, %(sort)s.", page=2, pages=9, sort="x"),
                module.ngettext("%(total)s response", "%(total)s responses", 1, total="1"),
                module.ngettext("%(total)s response", "%(total)s responses", 3, total="3"),
                str(module.lazy_gettext("Cookies"))]

    with pseudo_app.test_request_context("/"):
        english = messages(i18n)
        with force_locale(PSEUDO_LOCALE):
            assert messages(i18n) == messages(flask_babel)
            assert messages(i18n)[0] == "[[Home]]" and messages(i18n)[3] == "[[%(total)s responses]]" % {"total": 3}
        assert messages(i18n) == english == messages(flask_babel)
        assert english[:2] == ["Home", "Page 2 of 9, x."]


def test_the_application_s_python_translates_through_one_module():
    """Flask-Babel's gettext finds its catalogue again on every call; the app's code uses
    webapp.i18n's, which reads the request's once (so a log page does not pay twenty times)."""
    asking_flask_babel = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "webapp").rglob("*.py")) if path.name != "i18n.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.match(r"\s*from flask_babel import .*\b(n?gettext|lazy_gettext|pgettext)\b", line)
    ]
    assert asking_flask_babel == []


def test_each_app_reads_its_own_catalogues(tmp_path, pseudo_app):
    """Two apps in one process, the same locale, different translation folders: each
    keeps to its own (Flask-Babel caches loaded catalogues by locale)."""
    plain = make_app(tmp_path)
    with plain.test_request_context("/"), force_locale(PSEUDO_LOCALE):
        assert str(lazy_gettext("Cookies")) == "Cookies"  # no catalogue for it: English
    with pseudo_app.test_request_context("/"), force_locale(PSEUDO_LOCALE):
        assert str(lazy_gettext("Cookies")) == "[[Cookies]]"


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(st.characters(exclude_categories=("Cs",)), max_size=20) | st.sampled_from(["<b>&amp;", "%(date)s", "100%", '"q"']))
def test_a_line_filled_in_python_is_what_the_template_s_underscore_gives(pseudo_app, value):
    """The log's result lines are translated once a page and filled in per result
    (i18n.filled_in): the same HTML as ``_(message, **values)`` in a template, in
    either language."""
    from markupsafe import Markup

    from webapp.i18n import filled_in, gettext

    for forced in (False, True):
        with pseudo_app.test_request_context("/"), (force_locale(PSEUDO_LOCALE) if forced else nullcontext()):
            for message, name in (("Reference %(reference)s", "reference"), ("Published %(date)s", "date")):
                theirs = render_template_string("{{ _(message, **values) }}", message=message, values={name: value})
                assert str(filled_in(Markup(gettext(message)), **{name: value})) == theirs
                assert theirs.startswith("[[") == forced
