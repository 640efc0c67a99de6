"""The log's GOV.UK components, rendered with their macros far less often than they are shown.

A component (a filter group's checkboxes or date input, the sort select, the search box,
a button, an outcome tag, the pagination, a response page's breadcrumbs and summary
lists) is a pure function of its parameters, and those change only with the content
version (which choices exist), the locale and what was chosen. :func:`component` keeps
each rendering in the app's fragment store (:func:`webapp.components.kept`), so the
filter panel of an unfiltered log or a search costs one lookup per component, not a few
hundred macro calls. The FOI templates call it where they would call the macro.

Where a component's text differs from page to page but its shape does not, it is kept
with placeholders (:class:`Slots`) and the text written in afterwards, escaped as the
macro escapes it: the pagination's links and page numbers (:func:`pagination`), so a
page of one search shares the rendering of a page of another with the same shape; a
summary list's keys and values (:func:`summary_list`), so every response with the same
rows shares one rendering of its facts.

Checkboxes are kept *unticked*: the ticks are put into the stored HTML afterwards
(``" checked"`` after the item's ``value``, exactly where the macro writes it), so every
selection of one group shares one rendering. Text inputs and date inputs are kept
*blank*: what was typed is written into each field's ``value=""``, escaped as the macro
escapes it, so nothing a visitor typed is ever kept and every search shares one search
box. When the macro's output does not hold the item or field where expected, the
component is rendered in full, so the page never differs from the macro's.
"""

from __future__ import annotations

import re
from collections import Counter

from markupsafe import Markup, escape

from webapp import components


def checkboxes(params: dict) -> Markup:
    """``govukCheckboxes(params)``: the group rendered unticked (kept), then ticked."""
    items = params["items"]
    ticked = [item["value"] for item in items if item.get("checked")]
    unticked = {**params, "items": [{**item, "checked": False} for item in items]}
    html = str(components.kept("checkboxes", unticked))
    for value in ticked:
        box = f' name="{escape(params["name"])}" type="checkbox" value="{escape(value)}">'
        if html.count(box) != 1:
            return components.render("checkboxes", params)
        html = html.replace(box, box[:-1] + " checked>")
    return Markup(html)


def filled(kind: str, params: dict, typed: dict[str, str]) -> Markup:
    """The component kept with its fields blank (``typed``: field name → value, each
    field an item of ``params`` whose value is blanked by ``blank``), then each value
    written into its field's ``value=""``. A value that breaks a line (a carriage
    return, a line separator...) is rendered in full: a macro that indents a field's
    HTML indents inside it."""
    if any(value.splitlines() not in ([], [value]) for value in typed.values()):
        return components.render(kind, params)
    html = str(components.kept(kind, blank(kind, params)))
    for name, value in typed.items():
        if not value:
            continue
        start = html.find(f' name="{escape(name)}"')
        end = html.find(">", start)
        tag = html[start:end]
        if start < 0 or html.count(f' name="{escape(name)}"') != 1 or tag.count(' value=""') != 1:
            return components.render(kind, params)
        html = html[:start] + tag.replace(' value=""', f' value="{escape(value)}"') + html[end:]
    return Markup(html)


def blank(kind: str, params: dict) -> dict:
    if kind == "input":
        return {**params, "value": ""}
    return {**params, "items": [{**item, "value": ""} for item in params["items"]]}


def typed_values(kind: str, params: dict) -> dict[str, str] | None:
    """The values typed into an input's or a date input's fields, by field name (None:
    another kind of component, or a value that is not plain text)."""
    if kind == "input" and isinstance(params.get("value", ""), str):
        return {params["name"]: params.get("value", "")}
    if kind == "date-input" and all(isinstance(item.get("value", ""), str) for item in params["items"]):
        prefix = f'{params["namePrefix"]}-' if params.get("namePrefix") else ""
        return {prefix + item["name"]: item.get("value", "") for item in params["items"]}
    return None


class Slots:
    """Placeholders for a kept rendering: :meth:`slot` gives a token to pass to the
    macro in a value's place, with the HTML that stands for it; :meth:`fill` writes every
    value into the rendering in one pass (a value is never searched for tokens), or gives
    None when the macro did not write each token as often as expected (a token in
    another parameter, a macro that writes the value elsewhere too): then the caller
    renders the whole component."""

    TOKEN = re.compile(r"app-slot-\d+-")  # the trailing "-": no token begins another

    def __init__(self):
        self.html: dict[str, str] = {}
        self.expected: Counter = Counter()

    def slot(self, html: str, times: int = 1) -> str:
        token = f"app-slot-{len(self.html)}-"
        self.html[token], self.expected[token] = str(html), times
        return token

    def fill(self, rendering: Markup) -> Markup | None:
        if Counter(self.TOKEN.findall(rendering)) != self.expected:
            return None
        return Markup(self.TOKEN.sub(lambda match: self.html[match.group()], rendering))


def pagination(params: dict) -> Markup:
    """``govukPagination(params)``: kept with every link and page number a placeholder,
    so the searches whose pages have the same shape (which item is current, where the
    gaps are, whether there is a previous and a next page) share one rendering; then
    each link and number written in, escaped as the macro escapes it (a number twice:
    its text and its ``aria-label``)."""
    slots = Slots()

    def link(item: dict | None) -> dict | None:
        return {**item, "href": slots.slot(escape(item["href"]))} if item and item.get("href") else item

    shape = {
        **params,
        "previous": link(params.get("previous")),
        "next": link(params.get("next")),
        "items": [{**item, "number": slots.slot(escape(item["number"]), times=2), "href": slots.slot(escape(item["href"]))}
                  if "number" in item and "href" in item and set(item) <= {"number", "href", "current"} else item
                  for item in params.get("items", [])],
    }
    filled = slots.fill(components.kept("pagination", shape))
    return components.render("pagination", params) if filled is None else filled


def summary_list(params: dict) -> Markup:
    """``govukSummaryList(params)``: kept with each row's key and value a placeholder,
    so lists with the same rows (how many, which are HTML, their classes) share one
    rendering; then each written in as the macro writes it: text escaped, HTML as it
    is. Only a cell of one line with no space around it is written in (the macro trims
    and indents HTML, which leaves such a cell as it is); a list with any other cell,
    or with actions or a card, is rendered in full."""
    slots = Slots()

    def cell(value: object) -> dict | None:
        if not isinstance(value, dict) or set(value) - {"text", "html", "classes"} or ("text" in value) == ("html" in value):
            return None
        kind = "html" if "html" in value else "text"
        content = value[kind]
        if not isinstance(content, str) and not (kind == "text" and hasattr(content, "__html__")):
            return None  # a lazy string is text the macro does not escape, as escape() does not
        written = str(content if kind == "html" else escape(content))
        if not written or written.strip() != written or len(written.splitlines()) != 1:
            return None
        return {**value, kind: slots.slot(written)}

    def row(item: object) -> dict | None:
        if not isinstance(item, dict) or set(item) - {"key", "value", "classes"}:
            return None
        key, value = cell(item.get("key", {})), cell(item.get("value", {}))
        return None if key is None or value is None else {**item, "key": key, "value": value}

    if set(params) - {"rows", "classes", "attributes"}:  # a card, say
        return components.render("summary-list", params)
    rows = [row(item) for item in params.get("rows", [])]
    if None in rows:
        return components.render("summary-list", params)
    filled = slots.fill(components.kept("summary-list", {**params, "rows": rows}))
    return components.render("summary-list", params) if filled is None else filled


def component(kind: str, params: dict) -> Markup:
    """The component ``kind`` (a Design System component's name) for ``params``: what
    its GOV.UK macro returns."""
    if kind == "checkboxes":
        return checkboxes(params)
    if kind == "pagination":
        return pagination(params)
    if kind == "summary-list":
        return summary_list(params)
    typed = typed_values(kind, params)
    if typed is not None:
        return filled(kind, params, typed)
    return components.kept(kind, params)
